/**
 * The engine that runs schedules on time (SPEC 5): one timer for every
 * schedule, a heap ordered by when each next fires, `every` slots that do
 * not drift, cron matches that follow the wall clock, and reloads that keep
 * a schedule's slots.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { AioError } from "../errors.ts";
import {
  MAX_TIMER_S,
  MIN_WAIT_S,
  secondsRange,
  within,
} from "../config/bounds.ts";
import { cronProblem } from "./_cron.ts";
import { type Due, popHeap, pushHeap, reorderHeap } from "./_heap.ts";
import { callWithin, claimRun, handOver, type Settled } from "./_run.ts";
import {
  placeFirst,
  placeNext,
  type Slots,
  slotsKey,
  slotsOf,
} from "./_slots.ts";
import {
  callAt,
  type Clock,
  MAX_TIMER_MS,
  realClock,
  type TimerHandle,
} from "./clock.ts";
import {
  EVERY_MAX_S,
  EVERY_MIN_S,
  type ScheduleDefinition,
  type ScheduleEvent,
  timezoneProblem,
} from "./definition.ts";

const logger = getLogger(["aio", "schedule"]);

/** How a run ended, for {@linkcode SchedulerOptions.onRun}. */
export type RunOutcome = "ok" | "error" | "timeout" | "skipped";

/** What {@linkcode SchedulerOptions.onRun} is told about each run. */
export interface RunInfo {
  /** The schedule's name. */
  name: string;
  /**
   * `ok`, `error`, `timeout`, or `skipped` (by `overlap = skip`, by a claim,
   * or because the schedule was too far behind to run it).
   */
  outcome: RunOutcome;
  /** How long after its due time (jitter included) the scheduler fired the run. */
  latenessMs: number;
  /** How long the function ran (until its timeout, if cut); absent for skipped runs. */
  durationMs?: number;
}

/** Options for a {@linkcode Scheduler}. */
export interface SchedulerOptions {
  /** The clock to read and set timers on; the real one by default. */
  clock?: Clock;
  /** Told about every run as it ends (for metrics); it must not throw. */
  onRun?: (info: RunInfo) => void;
}

/** One schedule in the scheduler: its definition and where its runs fall. */
interface Entry extends Due {
  def: ScheduleDefinition;
  slots: Slots;
  /** When the pending run fires (ms, monotonic), jitter included. */
  due: number;
  /** Runs whose function is under way (or whose claim is pending). */
  running: number;
  /** Whether the last claim failed (later failures are logged at debug). */
  claimFailing: boolean;
}

// A wall clock that moved this far against the monotonic one has jumped (a
// suspended machine, a clock set by hand), and cron runs follow it.
const CLOCK_JUMP_MS = 1_000;
// Deno's timers work in whole ms: a timer that fires this little early runs
// its entries instead of arming a second timer.
const EARLY_MS = 1;

/**
 * Runs schedules on time. One timer serves every schedule: the schedules
 * wait in a heap ordered by when they next fire, and the timer wakes at
 * least once a minute to notice a jump of the wall clock.
 *
 * @example Running a function every second
 * ```ts
 * import { Scheduler } from "./scheduler.ts";
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
  readonly #clock: Clock;
  readonly #onRun: ((info: RunInfo) => void) | undefined;
  #entries: Entry[] = [];
  #heap: Entry[] = [];
  #timer: TimerHandle | undefined;
  #timerDue = Infinity;
  /** `wall - monotonic` when last looked at. */
  #clockOffset = 0;
  #started = false;
  #stopped = false;
  #runs = new Set<AbortController>();
  #idle: (() => void) | undefined;

  /** A scheduler on `options.clock` (the real one by default). */
  constructor(options: SchedulerOptions = {}) {
    this.#clock = options.clock ?? realClock;
    this.#onRun = options.onRun;
  }

  /**
   * Adds a schedule; once started, its first run is due at once (`every`
   * anchored at the start) or at its first slot. Throws an
   * {@linkcode AioError} naming the schedule when the definition is bad or
   * its name is taken.
   *
   * @param def The schedule.
   */
  add(def: ScheduleDefinition): void {
    this.#refuseWhenStopped(`add schedule ${def.name}`);
    if (this.#entries.some((entry) => entry.def.name === def.name)) {
      throw new AioError(
        `${describe(def)}: a schedule of that name was already added`,
      );
    }
    const entry = createEntry(def);
    this.#entries.push(entry);
    if (this.#started) {
      this.#placeFirst(entry);
      this.#arm();
    }
  }

  /** The number of schedules. */
  get size(): number {
    return this.#entries.length;
  }

  /** Arms every schedule: `every` ones anchored at the start run now. */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    for (const entry of this.#entries) this.#placeFirst(entry);
    this.#arm();
  }

  /**
   * Replaces the schedules with `definitions`, matched by name (a reload).
   * A schedule whose timing (`every` and anchor, or `cron` and `timezone`)
   * is unchanged keeps its slots: its next run stays where it was, and runs
   * the new definition. A changed one starts over as if added now; a new one
   * is added; a removed one fires no more (its runs under way finish, and
   * their signals abort only at the stop). Throws an {@linkcode AioError},
   * changing nothing, when a definition is bad or two share a name.
   *
   * @param definitions The schedules from now on.
   */
  update(definitions: readonly ScheduleDefinition[]): void {
    this.#refuseWhenStopped("update the schedules");
    const names = new Set<string>();
    const fresh = definitions.map((def) => {
      if (names.has(def.name)) {
        throw new AioError(`${describe(def)}: two schedules have that name`);
      }
      names.add(def.name);
      return createEntry(def);
    });
    const old = new Map(this.#entries.map((entry) => [entry.def.name, entry]));
    const changed: Entry[] = [];
    this.#entries = fresh.map((entry) => {
      const kept = old.get(entry.def.name);
      old.delete(entry.def.name);
      if (!kept) {
        changed.push(entry);
        return entry;
      }
      // The entry object lives on, so runs under way still count for overlap.
      if (slotsKey(kept.def) !== slotsKey(entry.def)) {
        kept.slots = entry.slots;
        changed.push(kept);
      }
      kept.def = entry.def;
      return kept;
    });
    const unqueue = new Set([...old.values(), ...changed]);
    this.#heap = this.#heap.filter((entry) => !unqueue.has(entry));
    reorderHeap(this.#heap);
    if (!this.#started) return;
    for (const entry of changed) this.#placeFirst(entry);
    this.#arm();
  }

  /**
   * Stops arming runs, aborts the signal of every run under way and waits
   * for them to finish (their `cb` or `err` included), `timeoutMs` at most
   * (then logs how many still run).
   *
   * @param timeoutMs How long to wait for runs under way.
   */
  async stop(timeoutMs = 0): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#heap.length = 0;
    const reason = new DOMException("The app is stopping", "AbortError");
    for (const run of this.#runs) run.abort(reason);
    if (this.#runs.size === 0) return;
    await new Promise<void>((resolve) => {
      const deadline = this.#clock.monotonic() + timeoutMs;
      const cancel = callAt(this.#clock, deadline, () => {
        this.#idle = undefined;
        logger.warn(
          "{count} schedule runs still running after {timeoutMs} ms",
          { count: this.#runs.size, timeoutMs },
        );
        resolve();
      });
      this.#idle = () => {
        cancel();
        this.#idle = undefined;
        resolve();
      };
    });
  }

  #refuseWhenStopped(what: string): void {
    if (this.#stopped) {
      throw new AioError(`Cannot ${what}: the scheduler is stopped`);
    }
  }

  /** Queues `entry`'s first run, from now. */
  #placeFirst(entry: Entry): void {
    const mono = this.#clock.monotonic();
    const wall = this.#clock.wall();
    this.#clockOffset = wall - mono;
    this.#queue(entry, placeFirst(entry.slots, mono, wall));
  }

  #queue(entry: Entry, due: number | undefined): void {
    if (due === undefined) {
      logger.info("Schedule {name} ({source}) has no more runs", {
        name: entry.def.name,
        source: entry.def.source,
      });
      return;
    }
    const jitter = entry.def.jitter;
    entry.due = jitter ? due + Math.random() * jitter * 1000 : due;
    pushHeap(this.#heap, entry);
  }

  /** Points the timer at the heap's first entry. */
  #arm(): void {
    if (this.#stopped || this.#heap.length === 0) return;
    const due = this.#heap[0].due;
    if (this.#timer !== undefined) {
      if (due === this.#timerDue) return;
      this.#clock.clearTimeout(this.#timer);
    }
    const delay = Math.max(0, Math.ceil(due - this.#clock.monotonic()));
    this.#timerDue = due;
    this.#timer = this.#clock.setTimeout(
      this.#fire,
      Math.min(delay, MAX_TIMER_MS),
    );
  }

  #fire = (): void => {
    this.#timer = undefined;
    const heap = this.#heap;
    let now = this.#clock.monotonic();
    let wall = this.#clock.wall();
    if (Math.abs(wall - now - this.#clockOffset) > CLOCK_JUMP_MS) {
      this.#followWallClock(now, wall);
    }
    while (
      !this.#stopped && heap.length > 0 && heap[0].due <= now + EARLY_MS
    ) {
      const entry = popHeap(heap);
      const at = entry.slots.at;
      if (entry.slots.onWall && wall < at - EARLY_MS) {
        // The wall clock lags the monotonic one: wall slots follow the wall clock.
        this.#queue(entry, now + (at - wall));
        continue;
      }
      const late = Math.max(0, now - entry.due);
      // Queue the next run before this one starts: a run may stop the scheduler.
      const { due, stale } = placeNext(entry.slots, now, wall, late);
      this.#queue(entry, due);
      if (stale) this.#skip(entry, at, late, `${Math.round(late)} ms behind`);
      else this.#launch(entry, at, late);
      now = this.#clock.monotonic();
      wall = this.#clock.wall();
    }
    this.#arm();
  };

  /** Moves wall-clock runs to where the wall clock, which jumped, now puts them. */
  #followWallClock(now: number, wall: number): void {
    this.#clockOffset = wall - now;
    for (const entry of this.#heap) {
      if (!entry.slots.onWall) continue;
      const jitter = entry.def.jitter;
      const due = now + (entry.slots.at - wall);
      entry.due = jitter ? due + Math.random() * jitter * 1000 : due;
    }
    reorderHeap(this.#heap);
  }

  #launch(entry: Entry, at: number, late: number): void {
    if (entry.running > 0 && entry.def.overlap === "skip") {
      this.#skip(entry, at, late, "the last one still runs");
      return;
    }
    void this.#run(entry, entry.def, at, late);
  }

  #skip(entry: Entry, at: number, late: number, why: string): void {
    logger.debug(
      "Schedule {name} ({source}) skipped the run due at {scheduledAt}: {why}",
      {
        name: entry.def.name,
        source: entry.def.source,
        scheduledAt: new Date(at),
        why,
      },
    );
    this.#report(entry.def, "skipped", late);
  }

  async #run(
    entry: Entry,
    def: ScheduleDefinition,
    at: number,
    late: number,
  ): Promise<void> {
    const controller = new AbortController();
    const event: ScheduleEvent = {
      name: def.name,
      config: def.config ?? {},
      scheduledAt: new Date(at),
      signal: controller.signal,
    };
    entry.running++;
    let counting = true;
    this.#runs.add(controller);
    try {
      if (def.claim && !(await this.#claimed(entry, def, event))) {
        this.#report(def, "skipped", late);
        return;
      }
      const started = this.#onRun ? this.#clock.monotonic() : 0;
      let settled: Settled;
      if (def.timeout === undefined) {
        // The common case, without the timer and promise a timeout needs.
        try {
          settled = { outcome: "ok", value: await def.func(def.name, event) };
        } catch (value) {
          settled = { outcome: "error", value };
        }
      } else {
        settled = await callWithin(def, event, controller, this.#clock);
      }
      // A run cut by its timeout counts as over: the next one may start.
      entry.running--;
      counting = false;
      if (this.#onRun) {
        const duration = this.#clock.monotonic() - started;
        this.#report(def, settled.outcome, late, duration);
      }
      await handOver(def, settled, event);
    } finally {
      if (counting) entry.running--;
      this.#runs.delete(controller);
      if (this.#runs.size === 0) this.#idle?.();
    }
  }

  async #claimed(
    entry: Entry,
    def: ScheduleDefinition,
    event: ScheduleEvent,
  ): Promise<boolean> {
    const answer = await claimRun(def, event, entry.claimFailing);
    if (answer !== "failed" && entry.claimFailing) {
      logger.info("Schedule {name} ({source}): its claims answer again", {
        name: def.name,
        source: def.source,
      });
    }
    entry.claimFailing = answer === "failed";
    return answer === "granted";
  }

  #report(
    def: ScheduleDefinition,
    outcome: RunOutcome,
    latenessMs: number,
    durationMs?: number,
  ): void {
    const onRun = this.#onRun;
    if (!onRun) return;
    try {
      onRun(
        durationMs === undefined
          ? { name: def.name, outcome, latenessMs }
          : { name: def.name, outcome, latenessMs, durationMs },
      );
    } catch (error) {
      logger.error("The scheduler's onRun observer failed: {error}", {
        error,
      });
    }
  }
}

function describe(def: ScheduleDefinition): string {
  return `Schedule ${def.name}${def.source ? ` (${def.source})` : ""}`;
}

/** Checks `def` and sets up its entry; throws an {@linkcode AioError} naming it. */
function createEntry(def: ScheduleDefinition): Entry {
  const problem = definitionProblem(def);
  if (problem) throw new AioError(`${describe(def)}: ${problem}`);
  return { def, slots: slotsOf(def), due: 0, running: 0, claimFailing: false };
}

function definitionProblem(def: ScheduleDefinition): string | undefined {
  if (typeof def.func !== "function") return "func is not a function";
  if ((def.every === undefined) === (def.cron === undefined)) {
    return "needs exactly one of every or cron";
  }
  if (def.every !== undefined) {
    if (!(def.every >= EVERY_MIN_S && def.every <= EVERY_MAX_S)) {
      return `every must be a number of seconds from ${EVERY_MIN_S} to 1e12, not ${def.every}`;
    }
  }
  // The bounds a config's [schedule/NAME] has (schedule/config.ts).
  const bounds = {
    jitter: { min: 0, max: MAX_TIMER_S },
    timeout: { min: MIN_WAIT_S, max: EVERY_MAX_S },
  };
  for (const option of ["jitter", "timeout"] as const) {
    const value = def[option];
    if (value !== undefined && !within(value, bounds[option])) {
      return `${option} must be a number of ${
        secondsRange(bounds[option])
      }, not ${value}`;
    }
  }
  if (
    def.jitter !== undefined && def.every !== undefined &&
    def.jitter > def.every
  ) {
    return `jitter must be at most every (${def.every} s), not ${def.jitter}`;
  }
  const choices = [
    ["overlap", ["allow", "skip"]],
    ["anchor", ["start", "epoch"]],
    ["cluster", ["each", "once"]],
    ["workers", ["one", "all"]],
  ] as const;
  for (const [option, allowed] of choices) {
    const value = def[option];
    if (
      value !== undefined && !(allowed as readonly string[]).includes(value)
    ) {
      return `${option} must be ${allowed.join(" or ")}, not ${
        JSON.stringify(value)
      }`;
    }
  }
  if (def.claim !== undefined && typeof def.claim !== "function") {
    return "claim is not a function";
  }
  if (def.cluster === "once" && !def.claim) {
    return "cluster = once needs a claim (from the cluster connection), so that one host runs each run";
  }
  if (def.cron !== undefined) {
    const problem = (def.timezone !== undefined &&
      timezoneProblem(def.timezone)) || cronProblem(def.cron, def.timezone);
    if (problem) return `cron: ${problem}`;
  }
  return undefined;
}
