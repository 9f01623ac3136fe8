/**
 * Wiring `[listen/NAME]` sections: `SIGNAL = REF`, one REF per line.
 *
 * @module
 */

import type { ConfigParser } from "./config/config_parser.ts";
import { ConfigError, formatSource } from "./config/errors.ts";
import { ownOptions, sectionsWithPrefix } from "./config/sections.ts";
import type { ModuleLoader } from "./refs.ts";
import type { Listener, Signals } from "./signals.ts";

/** A listener named by the config, before it is loaded. */
export interface ListenerSpec {
  /** The `listen/NAME` section. */
  section: string;
  /** The signal (the option's name, lowercased as configparser does). */
  signal: string;
  /** The `SPECIFIER#EXPORT` reference. */
  ref: string;
}

/** Every listener the config names, in file order. */
export function readListenerSpecs(config: ConfigParser): ListenerSpec[] {
  const specs: ListenerSpec[] = [];
  for (const section of sectionsWithPrefix(config, "listen/")) {
    for (const signal of ownOptions(config, section)) {
      for (const ref of config.getList(section, signal)) {
        specs.push({ section, signal, ref });
      }
    }
  }
  return specs;
}

/**
 * Loads each listener the config names and attaches it to `signals`. A
 * reference that does not load is added to `errors` (all are collected).
 */
export async function attachListeners(
  config: ConfigParser,
  signals: Signals,
  loader: ModuleLoader,
  errors: ConfigError[],
): Promise<void> {
  for (const spec of readListenerSpecs(config)) {
    const source = config.source(spec.section, spec.signal);
    try {
      const listener = await loader.load(
        spec.ref,
        { section: spec.section, option: spec.signal, source },
        "function",
      ) as Listener;
      signals.listen(spec.signal, listener, {
        name: `${spec.ref} (${formatSource(source.file, source.line)})`,
      });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      errors.push(error);
    }
  }
}
