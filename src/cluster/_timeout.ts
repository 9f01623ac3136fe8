/**
 * A bound on a wait.
 *
 * @module
 */

/** The rejection of {@linkcode withTimeout} when time ran out. */
export class TimeoutError extends Error {
  /** Creates the error for a wait of `ms`. */
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = "TimeoutError";
  }
}

/**
 * `promise`, or a rejection with a {@linkcode TimeoutError} after `ms`.
 * The work behind `promise` goes on; the caller just stops waiting.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(ms)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** The message of an error, or the value as text. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
