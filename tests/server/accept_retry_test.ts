import assert from "node:assert/strict";
import {
  type AcceptReport,
  AcceptRetry,
  MAX_RETRY_MS,
  QUIET_MS,
  reasonOf,
  REPORT_INTERVAL_MS,
} from "../../src/server/_accept_retry.ts";

/** An AcceptRetry on a fake clock whose timers run when the clock passes them. */
function retryWithClock() {
  const clock = { now: 0 };
  const reports: AcceptReport[] = [];
  let timers: { at: number; run: () => void }[] = [];
  const retry = new AcceptRetry(
    (report) => reports.push(report),
    () => clock.now,
    (run, ms) => timers.push({ at: clock.now + ms, run }),
  );
  const advance = (to: number) => {
    clock.now = to;
    const due = timers.filter((timer) => timer.at <= to);
    timers = timers.filter((timer) => timer.at > to);
    for (const timer of due) timer.run();
  };
  return { advance, reports, retry };
}

const EMFILE = new Error("Too many open files (os error 24)");

Deno.test("accept retry: waits 5 ms, doubling to 1 s, and starts over after a success", () => {
  const { retry } = retryWithClock();
  const delays = Array.from({ length: 10 }, () => retry.failed(EMFILE));
  assert.deepEqual(delays, [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
  assert.equal(retry.failing, true);
  retry.succeeded();
  assert.equal(retry.failing, false);
  assert.equal(retry.failed(EMFILE), 5);
});

Deno.test("accept retry: one line when failing starts, one per interval, one when quiet again", () => {
  const { advance, reports, retry } = retryWithClock();
  // 25 s of failures with a success between each pair, as when
  // descriptors hover at the limit, and the longest waits between some:
  // still one episode.
  for (let ms = 0; ms < 25_000; ms += MAX_RETRY_MS / 4) {
    advance(ms);
    retry.failed(EMFILE);
    if (ms < 20_000) retry.succeeded();
  }
  advance(25_000 - MAX_RETRY_MS / 4 + QUIET_MS - 1);
  assert.deepEqual(reports.map((report) => report.kind), [
    "failing",
    "still-failing",
    "still-failing",
  ]);
  advance(25_000 - MAX_RETRY_MS / 4 + QUIET_MS);
  assert.deepEqual(reports.map((report) => report.kind), [
    "failing",
    "still-failing",
    "still-failing",
    "recovered",
  ]);
  assert.deepEqual(reports[0], {
    kind: "failing",
    reason: "Too many open files (os error 24)",
  });
  assert.deepEqual(reports[1], {
    kind: "still-failing",
    reason: "Too many open files (os error 24)",
    failures: REPORT_INTERVAL_MS / 250 + 1,
    sinceMs: REPORT_INTERVAL_MS,
  });
  assert.deepEqual(reports[3], {
    kind: "recovered",
    failures: 100,
    sinceMs: 25_000 - MAX_RETRY_MS / 4,
  });
  // A new failure later is a new episode, reported at once, and waits the
  // first wait again (no success came between: the queue was empty).
  advance(60_000);
  assert.equal(retry.failed(EMFILE), 5);
  assert.equal(reports.at(-1)?.kind, "failing");
});

Deno.test("accept retry: the reason is the message, and the stack is never read", () => {
  const error = new Error("Too many open files (os error 24)");
  Object.defineProperty(error, "stack", {
    get() {
      throw new Error("the stack was read");
    },
  });
  assert.equal(reasonOf(error), "Too many open files (os error 24)");
  assert.equal(reasonOf("plain"), "plain");
  const http = new Deno.errors.Http("Error: Too many open files (os error 24)");
  assert.equal(reasonOf(http), "Error: Too many open files (os error 24)");
});
