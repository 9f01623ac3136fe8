/**
 * Surviving a failing `accept()` (out of file descriptors, EMFILE/ENFILE):
 * wait and try again, as Go's net/http does (5 ms, doubling, at most 1 s),
 * and report it without flooding the log: the first failure at once, then
 * one line per interval while it lasts, then one line when accepting works
 * again.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";

const logger = getLogger(["aio", "server"]);

/** The first wait after a failed accept, as Go's net/http. */
export const FIRST_RETRY_MS = 5;
/** The longest wait between two tries. */
export const MAX_RETRY_MS = 1000;
/** While accepting keeps failing, one log line per this many ms. */
export const REPORT_INTERVAL_MS = 10_000;
/**
 * Accepting has recovered once no accept failed for this many ms: longer
 * than the longest wait, so a server still retrying is never called
 * recovered, and no success is needed (the queue may be empty by then).
 */
export const QUIET_MS = 2 * MAX_RETRY_MS;

/** What {@linkcode AcceptRetry} reports. */
export type AcceptReport =
  | { kind: "failing"; reason: string }
  | { kind: "still-failing"; reason: string; failures: number; sinceMs: number }
  | { kind: "recovered"; failures: number; sinceMs: number };

/** Runs `callback` after `ms`, without keeping the process alive. */
export type Schedule = (callback: () => void, ms: number) => void;

function scheduleUnref(callback: () => void, ms: number): void {
  Deno.unrefTimer(setTimeout(callback, ms));
}

/**
 * The state of one server's accepting: how long to wait after a failure,
 * and when to say so. A run of failures (with successes between them, as
 * when descriptors hover at the limit) is one episode: reported when it
 * starts, once per interval while it lasts, and once when no accept has
 * failed for {@linkcode QUIET_MS}.
 *
 * @example
 * ```ts
 * import { AcceptRetry } from "./_accept_retry.ts";
 * const retry = new AcceptRetry((report) => console.log(report.kind));
 * retry.failed(new Error("Too many open files (os error 24)")); // logs "failing", returns 5
 * retry.succeeded(); // the next failure waits 5 ms again; "recovered" comes 2 s after the last failure
 * ```
 */
export class AcceptRetry {
  readonly #report: (report: AcceptReport) => void;
  readonly #now: () => number;
  readonly #schedule: Schedule;
  #delay = 0;
  #failures = 0;
  #firstAt = 0;
  #lastAt = 0;
  #reportedAt = 0;

  /** Reports through `report`; `now` is the clock (ms) and `schedule` the timer, both replaceable for tests. */
  constructor(
    report: (report: AcceptReport) => void,
    now: () => number = () => performance.now(),
    schedule: Schedule = scheduleUnref,
  ) {
    this.#report = report;
    this.#now = now;
    this.#schedule = schedule;
  }

  /** Whether the last accept failed. */
  get failing(): boolean {
    return this.#delay !== 0;
  }

  /** Records a failed accept; returns how long to wait before the next try, in ms. */
  failed(error: unknown): number {
    const now = this.#now();
    this.#delay = this.#delay === 0
      ? FIRST_RETRY_MS
      : Math.min(this.#delay * 2, MAX_RETRY_MS);
    this.#failures++;
    this.#lastAt = now;
    if (this.#failures === 1) {
      this.#firstAt = this.#reportedAt = now;
      this.#report({ kind: "failing", reason: reasonOf(error) });
      this.#watchRecovery(QUIET_MS);
    } else if (now - this.#reportedAt >= REPORT_INTERVAL_MS) {
      this.#reportedAt = now;
      this.#report({
        kind: "still-failing",
        reason: reasonOf(error),
        failures: this.#failures,
        sinceMs: now - this.#firstAt,
      });
    }
    return this.#delay;
  }

  /** Records a good accept: the next failure waits the first wait again. */
  succeeded(): void {
    this.#delay = 0;
  }

  #watchRecovery(ms: number): void {
    this.#schedule(() => {
      const quiet = this.#now() - this.#lastAt;
      if (quiet < QUIET_MS) {
        this.#watchRecovery(QUIET_MS - quiet);
        return;
      }
      this.#report({
        kind: "recovered",
        failures: this.#failures,
        sinceMs: this.#lastAt - this.#firstAt,
      });
      this.#failures = 0;
      this.#delay = 0;
    }, ms);
  }
}

/**
 * An error's message, never its stack: Deno 2.9 panics when it source-maps
 * a stack trace while the process is out of file descriptors, which is
 * exactly when accepting fails.
 */
export function reasonOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/** Logs what {@linkcode AcceptRetry} reports, under the server's name. */
export function logAcceptReport(server: string, report: AcceptReport): void {
  switch (report.kind) {
    case "failing":
      logger.error(
        "Server {server}: accept failed: {reason}; retrying (5 ms doubling to 1 s; logged again every 10 s while it lasts)",
        { server, reason: report.reason },
      );
      return;
    case "still-failing":
      logger.error(
        "Server {server}: accept still failing: {reason} ({failures} failures in {seconds} s)",
        {
          server,
          reason: report.reason,
          failures: report.failures,
          seconds: Math.round(report.sinceMs / 1000),
        },
      );
      return;
    case "recovered":
      logger.warn(
        "Server {server}: accepting again after {failures} failed accepts over {seconds} s",
        {
          server,
          failures: report.failures,
          seconds: (report.sinceMs / 1000).toFixed(1),
        },
      );
  }
}
