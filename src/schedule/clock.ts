/**
 * The clock the scheduler reads and sets its timers on: the real one by
 * default, a fake one in tests so that timing logic runs in fake time.
 *
 * @module
 */

/** A timer handle, as {@linkcode Clock.setTimeout} returns it: opaque to the scheduler. */
export type TimerHandle = unknown;

/** Time and timers, as the scheduler uses them. */
export interface Clock {
  /** Milliseconds on a clock that never jumps (`performance.now()`). */
  monotonic(): number;
  /** Milliseconds since the Unix epoch (`Date.now()`); it may jump. */
  wall(): number;
  /** Calls `fn` once, `ms` from now on the monotonic clock. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer that has not fired. */
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock: `performance.now()`, `Date.now()` and the runtime's timers. */
export const realClock: Clock = {
  monotonic: () => performance.now(),
  wall: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) =>
    clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * The longest single wait the scheduler asks of a clock. Runtimes cap timers
 * at 2^31-1 ms (a longer one fires at once), and the scheduler wakes at
 * least this often anyway to notice a jump of the wall clock.
 */
export const MAX_TIMER_MS = 60_000;

/**
 * Calls `fn` once the monotonic clock reaches `deadline`, however far away
 * (waiting in steps of at most {@linkcode MAX_TIMER_MS}), and never before
 * the caller has returned. Returns a function that cancels it.
 */
export function callAt(
  clock: Clock,
  deadline: number,
  fn: () => void,
): () => void {
  let handle: TimerHandle | undefined;
  const arm = () => {
    const left = Math.ceil(deadline - clock.monotonic());
    handle = clock.setTimeout(check, Math.min(Math.max(left, 0), MAX_TIMER_MS));
  };
  const check = () => {
    if (clock.monotonic() < deadline) return arm();
    handle = undefined;
    fn();
  };
  arm();
  return () => {
    if (handle !== undefined) clock.clearTimeout(handle);
    handle = undefined;
  };
}
