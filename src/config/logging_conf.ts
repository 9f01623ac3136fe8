/**
 * `logging.conf`: the file read on top of the config for its logging
 * sections, as the original aio.app did. Here, apart from logging itself, so
 * `aio config` can show what logging sees without loading logging.
 *
 * @module
 */

import type { ConfigParser } from "./config_parser.ts";
import { ConfigError } from "./errors.ts";
import { decodeConfig } from "./read_file.ts";

/** The file read on top of the config for its logging sections, in the working directory. */
export const LOGGING_CONF = "logging.conf";

/**
 * Whether a section is one of logging's (Python's `fileConfig` layout):
 * the sections `logging.conf` changes; its others only feed `${...}`.
 *
 * @example
 * ```ts
 * import { isLoggingSection } from "./logging_conf.ts";
 * console.log(isLoggingSection("handler_file"), isLoggingSection("aio")); // true false
 * ```
 */
export function isLoggingSection(section: string): boolean {
  return /^(loggers|handlers|formatters)$|^(logger|handler|formatter)_/.test(
    section,
  );
}

/**
 * `config` with `logging.conf` read on top of a copy, when that file
 * exists: its options win, option by option, as the original's
 * `start_logging` read it last.
 *
 * @throws {ConfigError} when `logging.conf` cannot be read or parsed
 */
export function withLoggingConf(
  config: ConfigParser,
  path: string | null = LOGGING_CONF,
): ConfigParser {
  if (path === null) return config;
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch (error) {
    // Missing, or not ours to look at (no --allow-read for it): as absent.
    if (
      error instanceof Deno.errors.NotFound ||
      error instanceof Deno.errors.NotCapable
    ) return config;
    throw new ConfigError(
      `Cannot read logging config: ${
        error instanceof Error ? error.message : String(error)
      }`,
      { source: path, kind: "ReadError", cause: error },
    );
  }
  return config.clone().readString(decodeConfig(bytes, path), path);
}

/** Whether a `logging.conf` is there to be read on top of the config (for `aio check`'s list of files read). */
export function hasLoggingConf(path: string = LOGGING_CONF): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}
