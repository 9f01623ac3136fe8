// A fake clock for the scheduler's tests: time moves only when a test says,
// so timing logic runs in fake time instead of real seconds.
import { setImmediate } from "node:timers";
import type { Clock } from "../../src/schedule/clock.ts";

interface Timer {
  at: number;
  order: number;
  fn: () => void;
}

/** 2025-01-01T00:00:00.000Z: a round wall time to start from. */
export const EPOCH_2025 = Date.UTC(2025, 0, 1);

/**
 * Lets the promise jobs queued so far (and the ones they queue) run: a
 * macrotask. setImmediate, since a chain of setTimeout(0) is clamped to 4 ms
 * each, as the HTML spec says for nested timers.
 */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A {@linkcode Clock} that moves when told. {@linkcode FakeClock.advance}
 * fires the timers that fall due, in order of due time (then of setting),
 * with the clock at each timer's time, and lets promise jobs run after each.
 */
export class FakeClock implements Clock {
  #mono = 0;
  #wallOffset: number;
  #timers = new Map<number, Timer>();
  #order = 0;

  /** A clock whose wall time starts at `wall` (ms since the epoch). */
  constructor(wall = EPOCH_2025) {
    this.#wallOffset = wall;
  }

  monotonic(): number {
    return this.#mono;
  }

  wall(): number {
    return this.#wallOffset + this.#mono;
  }

  setTimeout(fn: () => void, ms: number): number {
    const id = ++this.#order;
    this.#timers.set(id, { at: this.#mono + Math.max(0, ms), order: id, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** How many timers are pending. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time on by `ms`, firing each timer due on the way at its time. */
  async advance(ms: number): Promise<void> {
    const target = this.#mono + ms;
    await settle();
    for (;;) {
      const next = this.#next(target);
      if (!next) break;
      this.#mono = Math.max(this.#mono, next.at);
      this.#timers.delete(next.order);
      next.fn();
      await settle();
    }
    // A run that blocked the loop may have moved time past the target.
    this.#mono = Math.max(this.#mono, target);
    await settle();
  }

  /** Moves time to `ms` after the clock's creation (see {@linkcode FakeClock.advance}). */
  advanceTo(ms: number): Promise<void> {
    return this.advance(ms - this.#mono);
  }

  /**
   * Moves time on by `ms` without firing anything, as a blocked event loop
   * or a suspended machine does; the next {@linkcode FakeClock.advance}
   * fires what fell due meanwhile.
   */
  block(ms: number): void {
    this.#mono += ms;
  }

  /** Moves the wall clock alone by `ms` (a clock set by hand, NTP). */
  jumpWall(ms: number): void {
    this.#wallOffset += ms;
  }

  #next(target: number): Timer | undefined {
    let next: Timer | undefined;
    for (const timer of this.#timers.values()) {
      if (timer.at > target) continue;
      if (!next || timer.at < next.at) next = timer;
    }
    return next;
  }
}
