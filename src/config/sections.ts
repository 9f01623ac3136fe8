/**
 * Section helpers the runner needs beyond CPython's API.
 *
 * @module
 */

import type { ConfigParser } from "./config_parser.ts";
import { DEFAULT_SECTION } from "./parser.ts";

/**
 * The options written in `section` itself, without the ones it only
 * inherits from DEFAULT (a listener section must not treat DEFAULT's
 * options as signal names).
 */
export function ownOptions(config: ConfigParser, section: string): string[] {
  const inherited = new Set(config.options(DEFAULT_SECTION));
  return config.options(section).filter((name) => {
    if (!inherited.has(name)) return true;
    const own = config.source(section, name);
    const fromDefault = config.source(DEFAULT_SECTION, name);
    return own.file !== fromDefault.file || own.line !== fromDefault.line;
  });
}

/** The sections whose names start with `prefix` (e.g. `listen/`), in file order. */
export function sectionsWithPrefix(
  config: ConfigParser,
  prefix: string,
): string[] {
  return config.sections().filter((name) =>
    name.startsWith(prefix) && name.length > prefix.length
  );
}
