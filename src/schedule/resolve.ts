/**
 * From a config to the schedules it declares: every `[schedule/NAME]`
 * section read and checked, and its `func`, `cb` and `err` loaded, with
 * every problem collected.
 *
 * @module
 */

import type { ConfigParser } from "../config/config_parser.ts";
import type { Problems } from "../config/problems.ts";
import { sectionsWithPrefix } from "../config/sections.ts";
import type { ModuleLoader } from "../refs.ts";
import { loadCron } from "./_cron.ts";
import { readScheduleSection, SCHEDULE_SECTION_PREFIX } from "./config.ts";
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
    const { spec, refs } = readScheduleSection(config, section, problems);
    // Every reference is loaded, even of a section with other problems, so
    // that one pass finds them all.
    const loaded = new Map<string, unknown>();
    for (const ref of refs) {
      const value = await problems.collectAsync(() =>
        loader.load(ref.value, { section, ...ref }, "function")
      );
      if (value !== undefined) loaded.set(ref.option, value);
    }
    if (!spec || loaded.size !== refs.length) continue;
    const { every, cron, timezone, jitter, timeout } = spec;
    definitions.push({
      name: spec.name,
      func: loaded.get("func") as ScheduledFunction,
      ...(spec.cb && { cb: loaded.get("cb") as ScheduleResultCallback }),
      ...(spec.err && { err: loaded.get("err") as ScheduleErrorCallback }),
      ...(every !== undefined && { every }),
      ...(cron !== undefined && { cron }),
      ...(timezone !== undefined && { timezone }),
      ...(jitter !== undefined && { jitter }),
      ...(timeout !== undefined && { timeout }),
      overlap: spec.overlap,
      cluster: spec.cluster,
      workers: spec.workers,
      config: spec.config,
      source: spec.source,
    });
  }
  return definitions;
}
