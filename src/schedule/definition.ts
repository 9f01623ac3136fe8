/**
 * What a schedule is (SPEC 5): the definition the scheduler runs, the event
 * each run gets, and the limits both the config reader and the scheduler
 * check.
 *
 * @module
 */

/**
 * What a scheduled function is told about the run it is called for.
 *
 * @example Stopping work when the app stops or the run times out
 * ```ts
 * import type { ScheduleEvent } from "@aio/app";
 * export async function report(_name: string, event: ScheduleEvent) {
 *   const response = await fetch("https://example.com/report", {
 *     signal: event.signal,
 *   });
 *   console.log(event.scheduledAt.toISOString(), response.status);
 * }
 * ```
 */
export interface ScheduleEvent {
  /** The schedule's name (`NAME` in `[schedule/NAME]`). */
  name: string;
  /** The options of the schedule's section, interpolated. */
  config: Record<string, string>;
  /** When this run was due, before any jitter. */
  scheduledAt: Date;
  /** Aborts when the app stops, or when the run outlives its `timeout`. */
  signal: AbortSignal;
}

/**
 * A function run by a schedule (`func` in `[schedule/NAME]`); what it
 * returns (or resolves to) goes to the schedule's `cb`.
 *
 * @example A scheduled function that stops when the app stops
 * ```ts
 * import type { ScheduledFunction } from "@aio/app";
 *
 * export const report: ScheduledFunction = async (name, event) => {
 *   const response = await fetch("https://example.com/", { signal: event.signal });
 *   return `${name} at ${event.scheduledAt.toISOString()}: ${response.status}`;
 * };
 * ```
 */
export type ScheduledFunction = (
  name: string,
  event: ScheduleEvent,
) => unknown;

/** A schedule's `cb`: called with each run's result. */
export type ScheduleResultCallback = (
  result: unknown,
  event: ScheduleEvent,
) => unknown;

/** A schedule's `err`: called with each run's error (a timed-out run gets a `TimeoutError`). */
export type ScheduleErrorCallback = (
  error: unknown,
  event: ScheduleEvent,
) => unknown;

/** What to do with a run that falls due while the last one still runs. */
export type Overlap = "allow" | "skip";

/**
 * Where the slots of an `every` schedule lie: `start` puts the first at the
 * start and the others every period after it; `epoch` puts them on the
 * multiples of the period since the Unix epoch, so that every host has the
 * same slots.
 */
export type Anchor = "start" | "epoch";

/** The run a {@linkcode ScheduleDefinition.claim} is asked about. */
export interface ScheduleSlot {
  /** The schedule's name. */
  name: string;
  /** When the run is due, before any jitter. */
  scheduledAt: Date;
  /**
   * The run's identity: its due time in milliseconds since the epoch, as
   * text. The same on every host for the same run of a `cron` schedule or an
   * `every` schedule anchored on the epoch.
   */
  slot: string;
}

/** A schedule ready to run: a `[schedule/NAME]` section with its functions loaded. */
export interface ScheduleDefinition {
  /** The schedule's name, for events and logs; unique within a scheduler. */
  name: string;
  /** The function to run. */
  func: ScheduledFunction;
  /** Run every this many seconds (0.001 to 1e12); or give `cron`. */
  every?: number;
  /** A cron expression: 5 fields, or 6 with seconds first; or give `every`. */
  cron?: string;
  /** The IANA time zone `cron` is read in; the local one by default. */
  timezone?: string;
  /** Delay each run by a random time below this many seconds. */
  jitter?: number;
  /** `allow` (the default) or `skip` a run due while the last one still runs. */
  overlap?: Overlap;
  /** Seconds after which a run is cut: its signal aborts and it counts as failed. */
  timeout?: number;
  /** Called with each run's result. */
  cb?: ScheduleResultCallback;
  /** Called with each run's error. */
  err?: ScheduleErrorCallback;
  /** The options of the schedule's section. */
  config?: Record<string, string>;
  /** Where the schedule was declared (`file:line`), for logs. */
  source?: string;
  /** Where `every` slots lie: `start` by default, `epoch` when a `claim` is given. */
  anchor?: Anchor;
  /**
   * Asked before each run (after `overlap`); the run happens only when it
   * resolves to true. A claim that rejects counts as false. It is not
   * waited for past the stop, when it counts as false too.
   */
  claim?: (slot: ScheduleSlot) => Promise<boolean>;
  /**
   * `each` (the default): every host runs the schedule. `once`: one host per
   * run, chosen by `claim`, which the scheduler then requires.
   */
  cluster?: "each" | "once";
  /**
   * `one` (the default): one worker process runs the schedule; `all`: every
   * worker does. For the worker supervisor; the scheduler does not read it.
   */
  workers?: "one" | "all";
}

/** The least `every`, in seconds: shorter periods are timer noise. */
export const EVERY_MIN_S = 0.001;
/**
 * The greatest `every`, in seconds (about 31,700 years): the next run's time
 * must still be a valid Date (up to 8.64e15 ms since the epoch).
 */
export const EVERY_MAX_S = 1e12;

/** What is wrong with a time zone name, or undefined. */
export function timezoneProblem(timezone: string): string | undefined {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    return undefined;
  } catch {
    return `unknown time zone ${JSON.stringify(timezone)}`;
  }
}
