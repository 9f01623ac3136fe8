/**
 * Schedules (SPEC 5): reading `[schedule/NAME]` sections and running their
 * functions on time.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { Cron } from "croner";
import type { ConfigParser } from "./config/config_parser.ts";
import { parsePythonFloat } from "./config/config_parser.ts";
import { ConfigError, errorAt, formatSource } from "./config/errors.ts";
import { AioError, ConfigErrors } from "./errors.ts";

const logger = getLogger(["aio", "schedule"]);

/** What a scheduled function is told about the run it is called for. */
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

/** A function run by a schedule; its result goes to the schedule's `cb`. */
export type ScheduledFunction = (
  name: string,
  event: ScheduleEvent,
) => unknown | Promise<unknown>;

/** What to do with a run that falls due while the last one still runs. */
export type Overlap = "allow" | "skip";

/** A schedule ready to run: {@linkcode ScheduleSpec} with its functions resolved. */
export interface ScheduleDefinition {
  /** The schedule's name, for events and logs. */
  name: string;
  /** The function to run. */
  func: ScheduledFunction;
  /** Run every this many seconds (a positive number); or give `cron`. */
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
  cb?: (result: unknown, event: ScheduleEvent) => unknown;
  /** Called with each run's error. */
  err?: (error: unknown, event: ScheduleEvent) => unknown;
  /** The options of the schedule's section. */
  config?: Record<string, string>;
  /** Where the schedule was declared (`file:line`), for logs. */
  source?: string;
}

/** A `[schedule/NAME]` section, checked, with its references still unresolved. */
export interface ScheduleSpec
  extends
    Omit<ScheduleDefinition, "func" | "cb" | "err" | "config" | "overlap"> {
  /** The section's name. */
  section: string;
  /** The `func` reference (`SPECIFIER#EXPORT`); empty when missing. */
  func: string;
  /** The `cb` reference, if any. */
  cb?: string;
  /** The `err` reference, if any. */
  err?: string;
  /** `allow` or `skip`. */
  overlap: Overlap;
  /** The options of the section, interpolated. */
  config: Record<string, string>;
  /** Where the section starts (`file:line`). */
  source: string;
}

/** Resolves a `SPECIFIER#EXPORT` reference found at `option` of a schedule's section. */
export type ResolveReference = (
  reference: string,
  option: "func" | "cb" | "err",
) => unknown | Promise<unknown>;

const SECTION_PREFIX = "schedule/";
const NUMBER_OPTIONS = ["every", "jitter", "timeout"] as const;

/**
 * Reads and checks the section `section` (`schedule/NAME`), collecting every
 * problem instead of stopping at the first.
 *
 * @example Checking a section
 * ```ts
 * import { ConfigParser } from "@aio/app";
 * import { readScheduleSpec } from "./schedule.ts";
 * const config = new ConfigParser().readString(
 *   "[schedule/tick]\nfunc = ./app.ts#tick\nevery = 0\n",
 *   "aio.conf",
 * );
 * const { errors } = readScheduleSpec(config, "schedule/tick");
 * console.log(errors[0].message); // aio.conf:3: Option every in [schedule/tick] must be a positive number of seconds, got "0"
 * ```
 *
 * @param config The parsed config.
 * @param section The section's name, `schedule/NAME`.
 * @returns The spec (partial where a value was at fault) and the problems,
 * each a {@linkcode ConfigError} at the line of the value at fault.
 */
export function readScheduleSpec(
  config: ConfigParser,
  section: string,
): { spec: ScheduleSpec; errors: ConfigError[] } {
  const errors: ConfigError[] = [];
  const header = config.sectionSource(section);
  const name = section.startsWith(SECTION_PREFIX)
    ? section.slice(SECTION_PREFIX.length)
    : section;
  const at = (option: string, detail: string) =>
    errors.push(errorAt(config.source(section, option), detail));
  const optionIn = (option: string) => `Option ${option} in [${section}]`;
  const read = (option: string): string | undefined => {
    if (!config.has(section, option)) return undefined;
    try {
      return config.get(section, option).trim();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      errors.push(error);
      return undefined;
    }
  };

  const settings: Record<string, string> = {};
  for (const option of config.options(section)) {
    const value = read(option);
    if (value !== undefined) settings[option] = value;
  }
  const spec: ScheduleSpec = {
    name,
    section,
    func: settings.func ?? "",
    overlap: "allow",
    config: settings,
    source: formatSource(header.file, header.line),
  };

  if (!config.has(section, "func")) {
    errors.push(errorAt(header, `Missing option func in [${section}]`));
  } else if (settings.func === "") at("func", `${optionIn("func")} is empty`);
  if (settings.cb) spec.cb = settings.cb;
  if (settings.err) spec.err = settings.err;

  for (const option of NUMBER_OPTIONS) {
    const text = settings[option];
    if (text === undefined) continue;
    const value = parsePythonFloat(text);
    const problem = checkSeconds(option, value ?? NaN);
    if (problem) {
      at(option, `${optionIn(option)} ${problem}, got ${JSON.stringify(text)}`);
    } else spec[option] = value;
  }

  if (settings.timezone !== undefined) {
    const problem = checkTimezone(settings.timezone);
    if (problem) at("timezone", `${problem} in [${section}]`);
    else spec.timezone = settings.timezone;
  }

  if (settings.cron !== undefined) {
    const problem = checkCron(settings.cron, spec.timezone, ` in [${section}]`);
    if (problem) at("cron", problem);
    else spec.cron = settings.cron;
  }

  const hasEvery = config.has(section, "every");
  const hasCron = config.has(section, "cron");
  if (hasEvery === hasCron) {
    errors.push(errorAt(
      header,
      `[${section}] needs exactly one of every or cron, ${
        hasEvery ? "not both" : "found neither"
      }`,
    ));
  }

  if (settings.overlap !== undefined) {
    const overlap = settings.overlap.toLowerCase();
    if (overlap === "allow" || overlap === "skip") spec.overlap = overlap;
    else {
      at(
        "overlap",
        `${optionIn("overlap")} must be allow or skip, got ${
          JSON.stringify(settings.overlap)
        }`,
      );
    }
  }
  return { spec, errors };
}

/**
 * Reads the section `section` and resolves its references into a
 * {@linkcode ScheduleDefinition}.
 *
 * @param config The parsed config.
 * @param section The section's name, `schedule/NAME`.
 * @param resolve Loads a reference; it may throw a {@linkcode ConfigError}.
 * @returns The definition. Throws {@linkcode ConfigErrors} with every problem found.
 */
export async function parseScheduleSection(
  config: ConfigParser,
  section: string,
  resolve: ResolveReference,
): Promise<ScheduleDefinition> {
  const { spec, errors } = readScheduleSpec(config, section);
  const functions: Partial<Record<"func" | "cb" | "err", unknown>> = {};
  for (const option of ["func", "cb", "err"] as const) {
    const reference = spec[option];
    if (!reference) continue;
    try {
      const value = await resolve(reference, option);
      if (typeof value === "function") functions[option] = value;
      else {
        errors.push(errorAt(
          config.source(section, option),
          `${reference} is ${typeName(value)}, not a function, in [${section}]`,
        ));
      }
    } catch (error) {
      errors.push(
        error instanceof ConfigError ? error : errorAt(
          config.source(section, option),
          `Cannot load ${reference} in [${section}]: ${messageOf(error)}`,
        ),
      );
    }
  }
  if (errors.length > 0) throw new ConfigErrors(errors);
  return {
    ...spec,
    func: functions.func as ScheduledFunction,
    cb: functions.cb as ScheduleDefinition["cb"],
    err: functions.err as ScheduleDefinition["err"],
  };
}

/** What is wrong with a number of seconds (`must be ...`), or undefined. */
function checkSeconds(
  option: "every" | "jitter" | "timeout",
  value: number,
): string | undefined {
  if (option === "every") {
    return Number.isFinite(value) && value > 0
      ? undefined
      : "must be a positive number of seconds";
  }
  return Number.isFinite(value) && value >= 0
    ? undefined
    : "must be a number of seconds, 0 or more";
}

function checkTimezone(timezone: string): string | undefined {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    return undefined;
  } catch {
    return `Unknown time zone ${JSON.stringify(timezone)}`;
  }
}

function checkCron(
  expression: string,
  timezone: string | undefined,
  where = "",
): string | undefined {
  const quoted = JSON.stringify(expression);
  try {
    if (compileCron(expression, timezone).nextRun() === null) {
      return `Cron expression ${quoted}${where} never matches`;
    }
    return undefined;
  } catch (error) {
    const detail = messageOf(error).replace(/^Cron\w*: /, "");
    return `Bad cron expression ${quoted}${where}: ${detail}`;
  }
}

function compileCron(expression: string, timezone: string | undefined): Cron {
  // Without a function croner starts no timer: it only computes run times.
  return new Cron(expression, { mode: "5-or-6-parts", timezone });
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  const type = typeof value;
  return type === "object" || type === "undefined" ? type : `a ${type}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * One armed schedule. `due` is on the monotonic clock (`performance.now()`),
 * so changes to the wall clock do not move `every` runs; `at` is the wall
 * time the pending run stands for.
 */
interface Entry {
  def: ScheduleDefinition;
  /** The period in ms for `every`; 0 for `cron`. */
  period: number;
  cron: Cron | null;
  /** Where slot 0 of an `every` schedule lies, on both clocks. */
  originMono: number;
  originWall: number;
  /** The index of the pending `every` slot. */
  slot: number;
  /** The wall time (ms) of the pending run, before jitter. */
  at: number;
  /** The monotonic time (ms) the pending run fires, jitter included. */
  due: number;
  /** Runs under way. */
  running: number;
}

// The timer wakes at least this often, to notice a jump of the wall clock
// (a suspended machine, a clock set by hand) that cron runs must follow.
const MAX_DELAY_MS = 60_000;
const CLOCK_JUMP_MS = 1_000;
// Deno's timers work in whole ms: a timer that fires this little early runs
// its entries instead of arming a second timer.
const EARLY_MS = 1;

/**
 * Runs schedules on time. One timer serves every schedule: the schedules
 * wait in a heap ordered by when they next fire.
 *
 * @example Running a function every second
 * ```ts
 * import { Scheduler } from "./schedule.ts";
 * const scheduler = new Scheduler();
 * scheduler.add({
 *   name: "tick",
 *   every: 1,
 *   func: (name, event) => console.log(name, event.scheduledAt),
 * });
 * scheduler.start();
 * await new Promise((resolve) => setTimeout(resolve, 2500));
 * await scheduler.stop(1000);
 * ```
 */
export class Scheduler {
  #entries: Entry[] = [];
  #heap: Entry[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerDue = Infinity;
  /** `Date.now() - performance.now()` when last looked at. */
  #clockOffset = 0;
  #started = false;
  #stopped = false;
  #runs = new Set<AbortController>();
  #idle: (() => void) | undefined;

  /**
   * Adds a schedule; once started, its first run is due at once. Throws an
   * {@linkcode AioError} naming the schedule when the definition is bad.
   *
   * @param def The schedule.
   */
  add(def: ScheduleDefinition) {
    if (this.#stopped) {
      throw new AioError(
        `Cannot add schedule ${def.name}: the scheduler is stopped`,
      );
    }
    const entry = createEntry(def);
    this.#entries.push(entry);
    if (this.#started) {
      this.#place(entry, performance.now(), Date.now());
      this.#arm();
    }
  }

  /** The number of schedules added. */
  get size(): number {
    return this.#entries.length;
  }

  /** Arms every schedule: `every` ones run now, then every period from now. */
  start() {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    const mono = performance.now();
    const wall = Date.now();
    this.#clockOffset = wall - mono;
    for (const entry of this.#entries) this.#place(entry, mono, wall);
    this.#arm();
  }

  /**
   * Stops arming runs, aborts the signal of every run under way and waits
   * for them to finish, `timeoutMs` at most (then logs how many still run).
   *
   * @param timeoutMs How long to wait for running runs.
   */
  async stop(timeoutMs = 0): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#heap.length = 0;
    const reason = new DOMException("The app is stopping", "AbortError");
    for (const run of this.#runs) run.abort(reason);
    if (this.#runs.size === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#idle = undefined;
        logger.warn(
          "{count} schedule runs still running after {timeoutMs} ms",
          { count: this.#runs.size, timeoutMs },
        );
        resolve();
      }, timeoutMs);
      this.#idle = () => {
        clearTimeout(timer);
        this.#idle = undefined;
        resolve();
      };
    });
  }

  /** Queues `entry`'s first run: `every` at `mono`/`wall`, `cron` at its next match. */
  #place(entry: Entry, mono: number, wall: number) {
    if (entry.cron === null) {
      entry.originMono = mono;
      entry.originWall = wall;
      entry.slot = 0;
      entry.at = wall;
      this.#queue(entry, mono);
    } else {
      const next = entry.cron.nextRun(new Date(wall));
      this.#queueCron(entry, next, mono, wall);
    }
  }

  #queueCron(entry: Entry, next: Date | null, mono: number, wall: number) {
    if (next === null) {
      logger.info("Schedule {name} ({source}) has no more runs", {
        name: entry.def.name,
        source: entry.def.source,
      });
      return;
    }
    entry.at = next.getTime();
    this.#queue(entry, mono + (entry.at - wall));
  }

  #queue(entry: Entry, due: number) {
    entry.due = withJitter(entry.def, due);
    this.#heap.push(entry);
    siftUp(this.#heap, this.#heap.length - 1);
  }

  /** Points the timer at the heap's first entry. */
  #arm() {
    if (this.#stopped || this.#heap.length === 0) return;
    const due = this.#heap[0].due;
    if (this.#timer !== undefined) {
      if (due === this.#timerDue) return;
      clearTimeout(this.#timer);
    }
    const delay = Math.max(0, Math.ceil(due - performance.now()));
    this.#timerDue = due;
    this.#timer = setTimeout(this.#fire, Math.min(delay, MAX_DELAY_MS));
  }

  #fire = () => {
    this.#timer = undefined;
    const heap = this.#heap;
    let now = performance.now();
    let wall = Date.now();
    if (Math.abs(wall - now - this.#clockOffset) > CLOCK_JUMP_MS) {
      this.#followWallClock(now, wall);
    }
    while (
      !this.#stopped && heap.length > 0 && heap[0].due <= now + EARLY_MS
    ) {
      const entry = popMin(heap);
      const at = entry.at;
      if (entry.cron !== null && wall < at - EARLY_MS) {
        // The wall clock lags the monotonic one: cron follows the wall clock.
        this.#queue(entry, now + (at - wall));
        continue;
      }
      // Queue the next run before this one starts: a run may stop the scheduler.
      if (this.#requeue(entry, now, wall)) this.#launch(entry, at);
      now = performance.now();
      wall = Date.now();
    }
    this.#arm();
  };

  /** Moves cron runs to where the wall clock, which jumped, now puts them. */
  #followWallClock(now: number, wall: number) {
    this.#clockOffset = wall - now;
    const heap = this.#heap;
    for (const entry of heap) {
      if (entry.cron === null) continue;
      entry.due = withJitter(entry.def, now + (entry.at - wall));
    }
    // A sorted array is a heap.
    heap.sort((a, b) => a.due - b.due);
  }

  /**
   * Queues the run after the one `entry` just fired for. Returns false when
   * that one is stale: later than its distance to the next run (a blocked
   * event loop, a suspended machine). A stale run is dropped and the
   * schedule resumes at the next time to come, rather than catching up in a
   * burst.
   */
  #requeue(entry: Entry, now: number, wall: number): boolean {
    const late = now - entry.due;
    if (entry.cron !== null) {
      let next = entry.cron.nextRun(new Date(entry.at));
      const stale = next !== null && late >= next.getTime() - entry.at;
      if (stale) {
        next = entry.cron.nextRun(new Date(Math.max(entry.at, wall)));
        this.#logBehind(entry, late);
      }
      this.#queueCron(entry, next, now, wall);
      return !stale;
    }
    const { period, originMono } = entry;
    const stale = late >= period;
    let slot = entry.slot + 1;
    if (stale) {
      slot = Math.max(slot, Math.floor((now - originMono) / period) + 1);
      this.#logBehind(entry, late);
    }
    entry.slot = slot;
    entry.at = entry.originWall + slot * period;
    this.#queue(entry, originMono + slot * period);
    return !stale;
  }

  #logBehind(entry: Entry, late: number) {
    logger.debug(
      "Schedule {name} ({source}) skipped the run due at {scheduledAt}: {late} ms behind",
      {
        name: entry.def.name,
        source: entry.def.source,
        scheduledAt: new Date(entry.at),
        late: Math.round(late),
      },
    );
  }

  #launch(entry: Entry, at: number) {
    if (entry.running > 0 && entry.def.overlap === "skip") {
      logger.debug(
        "Schedule {name} ({source}) skipped the run due at {scheduledAt}: the last one still runs",
        {
          name: entry.def.name,
          source: entry.def.source,
          scheduledAt: new Date(at),
        },
      );
      return;
    }
    void this.#run(entry, at);
  }

  async #run(entry: Entry, at: number) {
    const def = entry.def;
    const controller = new AbortController();
    const event: ScheduleEvent = {
      name: def.name,
      config: def.config ?? {},
      scheduledAt: new Date(at),
      signal: controller.signal,
    };
    entry.running++;
    this.#runs.add(controller);
    let result: unknown;
    let failed = false;
    try {
      result = def.timeout === undefined
        ? await def.func(def.name, event)
        : await runWithin(def, event, controller);
    } catch (error) {
      failed = true;
      result = error;
    }
    // A run cut by its timeout counts as over: the next one may start.
    entry.running--;
    this.#runs.delete(controller);
    if (failed) {
      logger.error("Schedule {name} ({source}) failed: {error}", {
        name: def.name,
        source: def.source ?? "<code>",
        error: result,
      });
      if (def.err) await callBack(def, "err", def.err, result, event);
    } else if (def.cb) await callBack(def, "cb", def.cb, result, event);
    if (this.#runs.size === 0) this.#idle?.();
  }
}

function createEntry(def: ScheduleDefinition): Entry {
  const where = `Schedule ${def.name}${def.source ? ` (${def.source})` : ""}`;
  const fail = (detail: string) => new AioError(`${where}: ${detail}`);
  if (typeof def.func !== "function") throw fail("func is not a function");
  if ((def.every === undefined) === (def.cron === undefined)) {
    throw fail("needs exactly one of every or cron");
  }
  for (const option of NUMBER_OPTIONS) {
    const value = def[option];
    if (value === undefined) continue;
    const problem = checkSeconds(option, value);
    if (problem) throw fail(`${option} ${problem}, got ${value}`);
  }
  if (
    def.overlap !== undefined && def.overlap !== "allow" &&
    def.overlap !== "skip"
  ) {
    throw fail(
      `overlap must be allow or skip, got ${JSON.stringify(def.overlap)}`,
    );
  }
  let cron: Cron | null = null;
  if (def.cron !== undefined) {
    const problem =
      (def.timezone !== undefined && checkTimezone(def.timezone)) ||
      checkCron(def.cron, def.timezone);
    if (problem) throw fail(problem);
    cron = compileCron(def.cron, def.timezone);
  }
  return {
    def,
    // Whole microseconds, so that 0.1 s is exactly 100 ms.
    period: def.every === undefined ? 0 : Math.round(def.every * 1e6) / 1e3,
    cron,
    originMono: 0,
    originWall: 0,
    slot: 0,
    at: 0,
    due: 0,
    running: 0,
  };
}

function withJitter(def: ScheduleDefinition, due: number): number {
  return def.jitter ? due + Math.random() * def.jitter * 1000 : due;
}

function runWithin(
  def: ScheduleDefinition,
  event: ScheduleEvent,
  controller: AbortController,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      const error = new DOMException(
        `Schedule ${def.name} timed out after ${def.timeout} s`,
        "TimeoutError",
      );
      controller.abort(error);
      reject(error);
    }, def.timeout! * 1000);
    const settle = (done: () => void) => {
      clearTimeout(timer);
      done();
    };
    try {
      Promise.resolve(def.func(def.name, event)).then(
        (value) => settle(() => resolve(value)),
        (error) => settle(() => reject(error)),
      );
    } catch (error) {
      settle(() => reject(error));
    }
  });
}

async function callBack(
  def: ScheduleDefinition,
  option: "cb" | "err",
  callback: (value: unknown, event: ScheduleEvent) => unknown,
  value: unknown,
  event: ScheduleEvent,
) {
  try {
    await callback(value, event);
  } catch (error) {
    logger.error("Schedule {name} ({source}): {option} failed: {error}", {
      name: def.name,
      source: def.source ?? "<code>",
      option,
      error,
    });
  }
}

function siftUp(heap: Entry[], index: number) {
  const entry = heap[index];
  while (index > 0) {
    const parent = (index - 1) >> 1;
    if (heap[parent].due <= entry.due) break;
    heap[index] = heap[parent];
    index = parent;
  }
  heap[index] = entry;
}

function popMin(heap: Entry[]): Entry {
  const top = heap[0];
  const last = heap.pop()!;
  if (last === top) return top;
  let index = 0;
  const size = heap.length;
  for (;;) {
    const left = 2 * index + 1;
    if (left >= size) break;
    const right = left + 1;
    const child = right < size && heap[right].due < heap[left].due
      ? right
      : left;
    if (heap[child].due >= last.due) break;
    heap[index] = heap[child];
    index = child;
  }
  heap[index] = last;
  return top;
}
