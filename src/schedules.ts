/**
 * Wiring `[schedule/NAME]` sections: validate each (collecting every
 * problem), load its references, and hand them to the scheduler.
 *
 * @module
 */

import type { ConfigParser } from "./config/config_parser.ts";
import { ConfigError } from "./config/errors.ts";
import { sectionsWithPrefix } from "./config/sections.ts";
import type { ModuleLoader } from "./refs.ts";
import {
  readScheduleSpec,
  type ScheduleDefinition,
  type ScheduledFunction,
  Scheduler,
} from "./schedule.ts";

/** The armed schedules of a run. */
export interface ScheduleSet {
  /** How many schedules there are. */
  readonly size: number;
  /** Starts them all. */
  start(): void;
  /** Stops them; running runs get their abort signal and up to `timeoutMs`. */
  stop(timeoutMs: number): Promise<void>;
}

/**
 * Validates every `[schedule/NAME]` and loads its `func`, `cb` and `err`
 * references. Problems go to `errors`; the schedules that are sound are returned.
 */
export async function resolveSchedules(
  config: ConfigParser,
  loader: ModuleLoader,
  errors: ConfigError[],
): Promise<ScheduleDefinition[]> {
  const definitions: ScheduleDefinition[] = [];
  for (const section of sectionsWithPrefix(config, "schedule/")) {
    const { spec, errors: problems } = readScheduleSpec(config, section);
    errors.push(...problems);
    const sound = problems.length === 0;
    const load = async (option: string) => {
      if (!config.has(section, option)) return undefined;
      const source = config.source(section, option);
      try {
        return await loader.load(config.get(section, option), {
          section,
          option,
          source,
        }, "function") as ScheduledFunction;
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        errors.push(error);
        return undefined;
      }
    };
    const func = await load("func");
    const cb = await load("cb");
    const err = await load("err");
    if (!sound || !func) continue;
    definitions.push({
      ...spec,
      func,
      cb: cb as ScheduleDefinition["cb"],
      err: err as ScheduleDefinition["err"],
    });
  }
  return definitions;
}

/** Resolves the schedules and returns them ready to start (not started). */
export async function armSchedules(
  config: ConfigParser,
  loader: ModuleLoader,
  errors: ConfigError[],
): Promise<ScheduleSet> {
  const definitions = await resolveSchedules(config, loader, errors);
  const scheduler = new Scheduler();
  for (const definition of definitions) scheduler.add(definition);
  return {
    size: definitions.length,
    start: () => scheduler.start(),
    stop: (timeoutMs) => scheduler.stop(timeoutMs),
  };
}
