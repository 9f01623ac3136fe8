/**
 * Reporting a log destination that cannot be written (a full disk, a
 * closed pipe, a file that cannot be reopened) without flooding stderr: one
 * line when the trouble starts, then at most one line per interval, and one
 * line when writes succeed again.
 *
 * @module
 */

import { type WritableLike, writeAll } from "./_writable.ts";

/** How long errors are kept quiet after one is reported. */
export const REPORT_INTERVAL_MS = 60_000;

const encoder = new TextEncoder();

/** What the reporter needs from the outside: where to write and a clock. */
export interface ReporterOptions {
  /** Where the lines go (the process's stderr in a run). */
  stderr: WritableLike;
  /** Milliseconds since the epoch (default `Date.now`). */
  now?: () => number;
}

/**
 * Rate-limited reports for one destination, such as `log file var/log/app.log`.
 *
 * @example
 * ```ts ignore
 * const failures = new WriteFailures("log file app.log", { stderr: Deno.stderr });
 * failures.failed("write", new Error("No space left on device (os error 28)"));
 * // aio: error: cannot write log file app.log: No space left on device (further errors suppressed for 60 s)
 * ```
 */
export class WriteFailures {
  #what: string;
  #stderr: WritableLike;
  #now: () => number;
  #quietUntil = -Infinity;
  #suppressed = 0;
  #failing = false;

  /** `what` names the destination in each line (`log file PATH`). */
  constructor(what: string, options: ReporterOptions) {
    this.#what = what;
    this.#stderr = options.stderr;
    this.#now = options.now ?? Date.now;
  }

  /** Whether the last attempt failed and no write has succeeded since. */
  get failing(): boolean {
    return this.#failing;
  }

  /** Records a failed `action` (`write`, `reopen`, `rotate`); reports it unless one was reported recently. */
  failed(action: string, error: unknown): void {
    this.#failing = true;
    const now = this.#now();
    if (now < this.#quietUntil) {
      this.#suppressed++;
      return;
    }
    const earlier = this.#suppressed > 0
      ? `; ${this.#suppressed} more error(s) in the last ${
        REPORT_INTERVAL_MS / 1000
      } s`
      : "";
    this.#suppressed = 0;
    this.#quietUntil = now + REPORT_INTERVAL_MS;
    this.#say(
      `aio: error: cannot ${action} ${this.#what}: ${
        describeError(error)
      }${earlier} (further errors suppressed for ${
        REPORT_INTERVAL_MS / 1000
      } s)`,
    );
  }

  /** Records a successful write; after failures, says that writing works again. */
  succeeded(detail: string): void {
    if (!this.#failing) return;
    this.#failing = false;
    this.#suppressed = 0;
    this.#quietUntil = -Infinity;
    this.#say(`aio: ${this.#what} is writable again${detail}`);
  }

  /** Reports a one-off line (at close: what could never be written). */
  finalError(message: string): void {
    this.#say(`aio: error: ${message}`);
  }

  #say(line: string): void {
    try {
      writeAll(this.#stderr, encoder.encode(`${line}\n`));
    } catch {
      // stderr itself is gone: nowhere left to report to.
    }
  }
}

/** An OS error's text without Deno's `(os error N)` note. */
export function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/ \(os error \d+\)/, "");
}
