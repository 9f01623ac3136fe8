/**
 * From a config to the schedules it declares: every `[schedule/NAME]`
 * section read and checked, and its `func`, `cb` and `err` loaded, with
 * every problem collected.
 *
 * @module
 */

import type { ConfigParser } from "../config/config_parser.ts";
import type { Problems } from "../config/problems.ts";
import type { RefOption } from "../config/section_reader.ts";
import { sectionsWithPrefix } from "../config/sections.ts";
import type { ModuleLoader } from "../refs.ts";
import { loadCron } from "./_cron.ts";
import { readScheduleSpec, SCHEDULE_SECTION_PREFIX } from "./config.ts";
import type {
  ScheduleDefinition,
  ScheduledFunction,
  ScheduleErrorCallback,
  ScheduleResultCallback,
} from "./definition.ts";

/**
 * Reads every `[schedule/NAME]` section of `config` and loads its
 * references through `loader`. Problems go to `problems` (each at its file
 * and line); the schedules without any are returned, ready for a
 * {@linkcode Scheduler}. Imports croner only when a section has `cron`.
 *
 * @example Resolving a config's schedules
 * ```ts
 * import { ConfigParser } from "../config/config_parser.ts";
 * import { Problems } from "../config/problems.ts";
 * import { ModuleLoader } from "../refs.ts";
 * import { resolveSchedules } from "./resolve.ts";
 * const config = new ConfigParser().readString(
 *   "[schedule/tick]\nfunc = npm:croner@^11.0.1#Cron\nevery = 60\n",
 * );
 * const problems = new Problems();
 * const schedules = await resolveSchedules(config, new ModuleLoader(), problems);
 * console.log(schedules[0].every, problems.errors.length); // 60 0
 * ```
 */
export async function resolveSchedules(
  config: ConfigParser,
  loader: ModuleLoader,
  problems: Problems,
): Promise<ScheduleDefinition[]> {
  const sections = sectionsWithPrefix(config, SCHEDULE_SECTION_PREFIX);
  if (sections.some((section) => config.has(section, "cron"))) {
    await loadCron();
  }
  const definitions: ScheduleDefinition[] = [];
  for (const section of sections) {
    const spec = readScheduleSpec(config, section, problems);
    if (!spec) continue;
    const load = (ref: RefOption | undefined) =>
      ref && problems.collectAsync(() =>
        loader.load(ref.value, { section, ...ref }, "function")
      );
    const func = await load(spec.func) as ScheduledFunction | undefined;
    const cb = await load(spec.cb) as ScheduleResultCallback | undefined;
    const err = await load(spec.err) as ScheduleErrorCallback | undefined;
    if (!func || (spec.cb && !cb) || (spec.err && !err)) continue;
    definitions.push({
      name: spec.name,
      func,
      ...(cb && { cb }),
      ...(err && { err }),
      ...(spec.every !== undefined && { every: spec.every }),
      ...(spec.cron !== undefined && { cron: spec.cron }),
      ...(spec.timezone !== undefined && { timezone: spec.timezone }),
      ...(spec.jitter !== undefined && { jitter: spec.jitter }),
      ...(spec.timeout !== undefined && { timeout: spec.timeout }),
      overlap: spec.overlap,
      cluster: spec.cluster,
      workers: spec.workers,
      config: spec.config,
      source: spec.source,
    });
  }
  return definitions;
}
