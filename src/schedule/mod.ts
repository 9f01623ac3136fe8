/**
 * Schedules (SPEC 5): `[schedule/NAME]` sections read and checked
 * (`config.ts`), resolved into definitions (`resolve.ts`) and run on time by
 * the {@linkcode Scheduler} (`scheduler.ts`, on the clock of `clock.ts`).
 *
 * @module
 */

export { loadCron } from "./_cron.ts";
export { type Clock, realClock, type TimerHandle } from "./clock.ts";
export {
  readScheduleSpec,
  SCHEDULE_OPTIONS,
  SCHEDULE_SECTION_PREFIX,
  type ScheduleSpec,
} from "./config.ts";
export type {
  Anchor,
  Overlap,
  ScheduleDefinition,
  ScheduledFunction,
  ScheduleErrorCallback,
  ScheduleEvent,
  ScheduleResultCallback,
  ScheduleSlot,
} from "./definition.ts";
export { resolveSchedules } from "./resolve.ts";
export {
  type RunInfo,
  type RunOutcome,
  Scheduler,
  type SchedulerOptions,
} from "./scheduler.ts";
