/**
 * Reading `[listen/NAME]` sections (`SIGNAL = REF`, one REF per line) and
 * loading each listener they name.
 *
 * @module
 */

import type { ConfigParser } from "./config/config_parser.ts";
import { formatSource } from "./config/errors.ts";
import type { Problems } from "./config/problems.ts";
import { readList } from "./config/read_value.ts";
import { ownOptions, sectionsWithPrefix } from "./config/sections.ts";
import type { ModuleLoader } from "./refs.ts";
import type { Listener } from "./signals.ts";

/** A listener named by the config, before it is loaded. */
export interface ListenerSpec {
  /** The `listen/NAME` section. */
  section: string;
  /** The signal (the option's name, lowercased as configparser does). */
  signal: string;
  /** The `SPECIFIER#EXPORT` reference. */
  ref: string;
}

/** A listener loaded and ready to attach. */
export interface ResolvedListener {
  /** The signal it listens to. */
  signal: string;
  /** The function. */
  listener: Listener;
  /** The name logs use: the reference and where the config names it. */
  name: string;
}

/** Every listener the config names, in file order; a value that does not interpolate is reported. */
export function readListenerSpecs(
  config: ConfigParser,
  problems: Problems,
): ListenerSpec[] {
  const specs: ListenerSpec[] = [];
  for (const section of sectionsWithPrefix(config, "listen/")) {
    for (const signal of ownOptions(config, section)) {
      const refs = problems.collect(() => readList(config, section, signal));
      for (const ref of refs ?? []) specs.push({ section, signal, ref });
    }
  }
  return specs;
}

/**
 * Loads each listener the config names. A reference that does not load is
 * reported to `problems` (every one is), and left out.
 */
export async function resolveListeners(
  config: ConfigParser,
  loader: ModuleLoader,
  problems: Problems,
): Promise<ResolvedListener[]> {
  const resolved: ResolvedListener[] = [];
  for (const spec of readListenerSpecs(config, problems)) {
    const source = config.source(spec.section, spec.signal);
    const listener = await problems.collectAsync(() =>
      loader.load(
        spec.ref,
        { section: spec.section, option: spec.signal, source },
        "function",
      )
    ) as Listener | undefined;
    if (!listener) continue;
    resolved.push({
      signal: spec.signal,
      listener,
      name: `${spec.ref} (${formatSource(source.file, source.line)})`,
    });
  }
  return resolved;
}
