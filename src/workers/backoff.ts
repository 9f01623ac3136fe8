/**
 * How long to wait before restarting a worker that died: 0.1 s, doubling
 * up to 30 s, so a worker that crashes at once cannot spin the CPU; back to
 * 0.1 s once a worker has stayed up for a while.
 *
 * @module
 */

/** Options for a {@linkcode Backoff}. */
export interface BackoffOptions {
  /** The first delay (ms); default 100. */
  initialMs?: number;
  /** The longest delay (ms); default 30 000. */
  maxMs?: number;
  /** A worker up this long (ms) counts as healthy: the next delay starts over; default 10 000. */
  resetAfterMs?: number;
}

/**
 * The restart delays of one worker slot.
 *
 * @example
 * ```ts
 * import { Backoff } from "./backoff.ts";
 * const backoff = new Backoff();
 * backoff.next(50); // 100: it died 50 ms after it started
 * backoff.next(50); // 200
 * backoff.next(60_000); // 100: it had been up a minute
 * ```
 */
export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #resetAfterMs: number;
  #failures = 0;

  /** A backoff with the given bounds. */
  constructor(options: BackoffOptions = {}) {
    this.#initialMs = options.initialMs ?? 100;
    this.#maxMs = options.maxMs ?? 30_000;
    this.#resetAfterMs = options.resetAfterMs ?? 10_000;
  }

  /**
   * The delay before the next restart, given how long the worker that
   * died had been up (ms).
   */
  next(upMs: number): number {
    if (upMs >= this.#resetAfterMs) this.#failures = 0;
    const delay = Math.min(
      this.#initialMs * 2 ** this.#failures,
      this.#maxMs,
    );
    if (delay < this.#maxMs) this.#failures++;
    return delay;
  }
}
