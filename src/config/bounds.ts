/**
 * The bounds of every number aio accepts, decided once: the config's
 * section reader and the CLI's `SECONDS` arguments both check against
 * these, so a value the runtime cannot hold (or that makes no sense) is an
 * error when it is read, never a surprise when it is used.
 *
 * @module
 */

/**
 * The longest single wait, in seconds: timers hold at most 2^31-1 ms
 * (about 24.8 days); past that Deno, like Node, fires them at once
 * (`TimeoutOverflowWarning`), so a longer wait would end at once.
 */
export const MAX_TIMER_S = 2_147_483;

/** The shortest wait, in seconds: timers count whole milliseconds, so less is no wait at all. */
export const MIN_WAIT_S = 0.001;

/**
 * The greatest count (`max_connections`): the largest 32-bit signed
 * integer, far past any real limit (a process's open files) and still a
 * count every API takes.
 */
export const MAX_COUNT = 2 ** 31 - 1;

/** Bounds on a number: the least and greatest values allowed, both inclusive. */
export interface Bounds {
  /** The least value allowed. */
  min: number;
  /** The greatest value allowed. */
  max: number;
}

/**
 * A bound as messages write it: `0.001`, `2147483`, `1e12`.
 *
 * @example
 * ```ts
 * import { formatBound } from "./bounds.ts";
 * console.log(formatBound(1e12), formatBound(2 ** 31 - 1)); // "1e12" "2147483647"
 * ```
 */
export function formatBound(value: number): string {
  const plain = String(value);
  const exponent = value.toExponential().replace("e+", "e");
  return value >= 1e9 && exponent.length < plain.length ? exponent : plain;
}

/** `seconds from MIN to MAX`, for messages about a duration. */
export function secondsRange(bounds: Bounds): string {
  return `seconds from ${formatBound(bounds.min)} to ${
    formatBound(bounds.max)
  }`;
}

/** Whether `value` is a finite number within `bounds`. */
export function within(value: number, bounds: Bounds): boolean {
  return Number.isFinite(value) && value >= bounds.min && value <= bounds.max;
}
