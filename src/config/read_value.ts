/**
 * Reading a value for aio's own checks: `ConfigParser.get`, with an
 * interpolation error said in aio's one shape, `FILE:LINE: [section]
 * option: <CPython's detail>`, at the value that holds the broken
 * reference. `ConfigParser.get` itself keeps CPython's error (the parity
 * tests compare it); every reader of aio's sections goes through here.
 *
 * @module
 */

import type { ConfigParser } from "./config_parser.ts";
import { ConfigError } from "./errors.ts";
import { InterpolationError } from "./interpolation.ts";
import { DEFAULT_SECTION } from "./parser.ts";
import { ownOptions } from "./sections.ts";

/**
 * The value of `option` in `section`, interpolated unless `raw`.
 *
 * @example A broken reference, at the line that holds it
 * ```ts
 * import { ConfigParser } from "./config_parser.ts";
 * import { readValue } from "./read_value.ts";
 * const config = new ConfigParser().readString(
 *   "[aio]\nlog_level = ${nope}\n[logger_root]\nlevel = ${aio:log_level}\n",
 *   "app.conf",
 * );
 * try {
 *   readValue(config, "logger_root", "level");
 * } catch (error) {
 *   console.log((error as Error).message);
 *   // app.conf:2: [aio] log_level: Bad value substitution: option 'log_level' in section 'aio' refers to 'nope', which is not defined
 * }
 * ```
 *
 * @throws {ConfigError} when the option is missing, or (in aio's shape)
 *   when a reference in it, or in a value it refers to, cannot be expanded.
 */
export function readValue(
  config: ConfigParser,
  section: string,
  option: string,
  options: { raw?: boolean } = {},
): string {
  try {
    return config.get(section, option, options);
  } catch (error) {
    throw inAioShape(config, error);
  }
}

/** {@linkcode readValue} split into its non-empty lines, each stripped (`getList`). */
export function readList(
  config: ConfigParser,
  section: string,
  option: string,
): string[] {
  return readValue(config, section, option).split("\n")
    .map((line) => line.trim()).filter(Boolean);
}

/**
 * `error` as aio reports it: an {@linkcode InterpolationError} becomes
 * `[section] option: <detail>` at the holder's line (`[DEFAULT]` when the
 * holder's value is DEFAULT's); anything else is returned as it is.
 */
export function inAioShape(config: ConfigParser, error: unknown): unknown {
  if (!(error instanceof InterpolationError)) return error;
  const { option } = error;
  let section = error.section;
  if (!config.has(section, option)) return error;
  const where = config.source(section, option);
  if (
    section !== DEFAULT_SECTION && config.has(section) &&
    !ownOptions(config, section).includes(option)
  ) section = DEFAULT_SECTION;
  return new ConfigError(`[${section}] ${option}: ${error.detail}`, {
    source: where.file,
    line: where.line,
    kind: error.kind,
    cause: error,
  });
}
