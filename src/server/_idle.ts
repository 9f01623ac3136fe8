/**
 * How often a server looks for idle connections. Connections only mark
 * that bytes moved (a boolean, no clock read on the hot path); a sweep
 * notes the time it first saw each one quiet and closes those quiet for
 * `idle_timeout`. So a connection is closed at least `idle_timeout` after
 * its last byte, and at most two sweep intervals later than that.
 *
 * @module
 */

/** The least time between two sweeps: shorter timeouts are not worth a busier timer. */
const MIN_SWEEP_MS = 10;
/** The most time between two sweeps: long timeouts are still enforced within 2 s. */
const MAX_SWEEP_MS = 1000;

/** The sweep interval for `timeoutMs`: an eighth of it, within 10 ms to 1 s. */
export function idleSweepIntervalMs(timeoutMs: number): number {
  return Math.min(MAX_SWEEP_MS, Math.max(MIN_SWEEP_MS, timeoutMs / 8));
}
