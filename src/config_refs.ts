/**
 * Every reference a config names, wherever it is: modules, listeners,
 * schedules, servers and commands. `aio compile` embeds them and
 * `aio permissions` grants what they need.
 *
 * @module
 */

import type { ConfigParser } from "./config/config_parser.ts";
import type { ValueSource } from "./config/errors.ts";
import { readList } from "./config/read_value.ts";
import { ownOptions, sectionsWithPrefix } from "./config/sections.ts";
import { parseRef, resolveSpecifier } from "./refs.ts";

/** One reference found in the config. */
export interface ConfigReference {
  /** The section that holds it. */
  section: string;
  /** The option that holds it. */
  option: string;
  /** The reference as written (`SPECIFIER#EXPORT`, or a bare module specifier). */
  ref: string;
  /** The specifier resolved as the loader resolves it (the key `aio compile` embeds it under). */
  url: string;
  /** Where the value was written. */
  source: ValueSource;
}

const REF_OPTIONS: Record<string, readonly string[]> = {
  "schedule/": ["func", "cb", "err"],
  "server/": ["protocol", "factory", "handler"],
};

/** Every reference in `config`, in file order: `[aio] modules` first. */
export function configReferences(config: ConfigParser): ConfigReference[] {
  const found: ConfigReference[] = [];
  const add = (section: string, option: string) => {
    const source = config.source(section, option);
    for (const ref of readList(config, section, option)) {
      found.push({
        section,
        option,
        ref,
        url: resolveSpecifier(parseRef(ref).specifier, source.file),
        source,
      });
    }
  };
  if (config.has("aio", "modules")) add("aio", "modules");
  for (const section of sectionsWithPrefix(config, "listen/")) {
    for (const option of ownOptions(config, section)) add(section, option);
  }
  for (const [prefix, options] of Object.entries(REF_OPTIONS)) {
    for (const section of sectionsWithPrefix(config, prefix)) {
      for (const option of options) {
        if (config.has(section, option)) add(section, option);
      }
    }
  }
  if (config.has("aio/commands")) {
    for (const option of ownOptions(config, "aio/commands")) {
      add("aio/commands", option);
    }
  }
  return found;
}
