/**
 * A stop requested during start-up wins (SPEC 10): each wait of the
 * prepare and start steps is raced against an `AbortSignal`, and the first
 * one the signal beats throws {@linkcode StartInterrupted} naming what was
 * still loading. Nothing further starts.
 *
 * @module
 */

import { AioError, ExitCode } from "./errors.ts";

/** The start-up was stopped before the app had started; `loading` says where it was. */
export class StartInterrupted extends AioError {
  /** What was still loading, such as `importing ./slow.ts`. */
  readonly loading: string;

  /** Creates the error for a stop that came while `loading`. */
  constructor(loading: string) {
    super(`stopped during start-up, while ${loading}`, {
      exitCode: ExitCode.OK,
    });
    this.name = "StartInterrupted";
    this.loading = loading;
  }
}

/**
 * Waits for `promise` unless `signal` aborts first; then throws
 * {@linkcode StartInterrupted} with `loading()` and hands the value that
 * comes later (if it ever does) to `onLate`, so that it can be closed.
 *
 * @example
 * ```ts
 * import { StartInterrupted, untilAborted } from "./interrupt.ts";
 * const controller = new AbortController();
 * const never = new Promise<never>(() => {});
 * const waiting = untilAborted(never, controller.signal, () => "importing ./hang.ts");
 * controller.abort();
 * await waiting.catch((error: StartInterrupted) => console.log(error.loading)); // "importing ./hang.ts"
 * ```
 */
export function untilAborted<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  loading: () => string,
  onLate?: (value: T) => unknown,
): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    settleLate(promise, onLate);
    return Promise.reject(new StartInterrupted(loading()));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      settleLate(promise, onLate);
      reject(new StartInterrupted(loading()));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** Throws {@linkcode StartInterrupted} when `signal` has aborted. */
export function throwIfStopped(
  signal: AbortSignal | undefined,
  loading: () => string,
): void {
  if (signal?.aborted) throw new StartInterrupted(loading());
}

function settleLate<T>(
  promise: Promise<T>,
  onLate: ((value: T) => unknown) | undefined,
): void {
  promise.then(
    (value) => {
      try {
        const result = onLate?.(value);
        if (result instanceof Promise) result.catch(() => {});
      } catch {
        // Nothing waits for it any more.
      }
    },
    () => {
      // Nothing waits for it any more.
    },
  );
}
