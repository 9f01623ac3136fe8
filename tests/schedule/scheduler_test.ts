// The scheduler's timing and run logic, in fake time.
import assert from "node:assert/strict";
import { AioError } from "../../src/errors.ts";
import { loadCron } from "../../src/schedule/_cron.ts";
import { MAX_TIMER_MS } from "../../src/schedule/clock.ts";
import type { ScheduleDefinition } from "../../src/schedule/definition.ts";
import { type RunInfo, Scheduler } from "../../src/schedule/scheduler.ts";
import { EPOCH_2025, FakeClock } from "./_fake_clock.ts";
import { gate, recorder, schedule, text, withLogs } from "./_helpers.ts";

function fakeScheduler(options: { onRun?: (info: RunInfo) => void } = {}) {
  const clock = new FakeClock();
  return { clock, scheduler: new Scheduler({ clock, ...options }) };
}

Deno.test("every = 2 runs three times in five seconds, at start + k·2 s", async () => {
  const { clock, scheduler } = fakeScheduler();
  const { runs, func, scheduled } = recorder(clock);
  scheduler.add(schedule({ func, every: 2 }));
  scheduler.start();
  await clock.advance(5_000);
  await scheduler.stop();
  assert.deepEqual(runs.map((run) => run.at), [0, 2_000, 4_000]);
  assert.deepEqual(scheduled(EPOCH_2025), [0, 2_000, 4_000]);
});

Deno.test("every = 0.1 accumulates no drift over 600 runs", async () => {
  const { clock, scheduler } = fakeScheduler();
  const { runs, func, scheduled } = recorder(clock);
  scheduler.add(schedule({ func, every: 0.1, config: { every: "0.1" } }));
  scheduler.start();
  await clock.advance(59_950);
  await scheduler.stop();
  assert.equal(runs.length, 600);
  const expected = runs.map((_, k) => k * 100);
  assert.deepEqual(scheduled(EPOCH_2025), expected);
  assert.deepEqual(runs.map((run) => run.at), expected);
  assert.equal(runs[599].event.name, "test");
  assert.deepEqual(runs[599].event.config, { every: "0.1" });
});

Deno.test("a schedule far behind skips the missed slots instead of a burst", async () => {
  const infos: RunInfo[] = [];
  const { clock, scheduler } = fakeScheduler({ onRun: (i) => infos.push(i) });
  const { runs, func, scheduled } = recorder(clock, (_event, index) => {
    // The first run blocks the event loop for 3.5 periods.
    if (index === 0) clock.block(350);
  });
  scheduler.add(schedule({ func, every: 0.1 }));
  scheduler.start();
  await clock.advance(650);
  await scheduler.stop();
  // The timer due at 100 fires at 350: that run is dropped, and the schedule
  // goes on at 400, the first slot still to come.
  assert.deepEqual(scheduled(EPOCH_2025), [0, 400, 500, 600]);
  assert.deepEqual(runs.map((run) => run.at), [0, 400, 500, 600]);
  const skipped = infos.filter((info) => info.outcome === "skipped");
  assert.deepEqual(skipped, [{
    name: "test",
    outcome: "skipped",
    latenessMs: 250,
  }]);
});

Deno.test("overlap = skip skips a run due while the last one runs, and logs it at debug", async () => {
  const { clock, scheduler } = fakeScheduler();
  const { opened, open } = gate();
  const { runs, func } = recorder(clock, () => opened);
  scheduler.add(schedule({ name: "slow", func, every: 0.05, overlap: "skip" }));
  const records = await withLogs(async () => {
    scheduler.start();
    await clock.advance(120);
    open();
    await clock.advance(30);
    await scheduler.stop();
  });
  // Due at 0 (runs until 120), 50 and 100 (skipped), 150 (runs).
  assert.deepEqual(runs.map((run) => run.at), [0, 150]);
  const skips = records.filter((r) => text(r).includes("skipped"));
  assert.equal(skips.length, 2);
  assert.equal(skips[0].level, "debug");
  assert.deepEqual(skips[0].category, ["aio", "schedule"]);
  assert.equal(skips[0].properties.name, "slow");
  assert.equal(skips[0].properties.source, "test.conf:1");
  assert.match(text(skips[0]), /the last one still runs/);
});

Deno.test("overlap = allow starts the next run while the last one runs", async () => {
  const { clock, scheduler } = fakeScheduler();
  const { opened, open } = gate();
  let finished = 0;
  const { runs, func } = recorder(clock, async () => {
    await opened;
    finished++;
  });
  scheduler.add(schedule({ func, every: 0.05 }));
  scheduler.start();
  await clock.advance(100);
  assert.equal(runs.length, 3);
  assert.equal(finished, 0);
  open();
  await scheduler.stop(1_000);
  assert.equal(finished, 3);
});

Deno.test("failing runs go to err and the log, results to cb, and the schedule goes on", async () => {
  const { clock, scheduler } = fakeScheduler();
  const failures = [new Error("sync"), new Error("async"), "a string"];
  const errors: unknown[] = [];
  const results: unknown[] = [];
  const { func } = recorder(clock, (_event, index) => {
    if (index === 0) throw failures[0];
    if (index === 1) return Promise.reject(failures[1]);
    if (index === 2) throw failures[2];
    return Promise.resolve(`ok ${index}`);
  });
  scheduler.add(schedule({
    name: "flaky",
    source: "app.conf:7",
    func,
    every: 0.05,
    err: (error, event) => errors.push([error, event.name]),
    cb: (result, event) => results.push([result, event.name]),
  }));
  const records = await withLogs(async () => {
    scheduler.start();
    await clock.advance(200);
    await scheduler.stop();
  });
  assert.deepEqual(errors, failures.map((error) => [error, "flaky"]));
  assert.deepEqual(results, [["ok 3", "flaky"], ["ok 4", "flaky"]]);
  const logged = records.filter((r) => r.level === "error");
  assert.equal(logged.length, 3);
  for (const [i, record] of logged.entries()) {
    assert.deepEqual(record.category, ["aio", "schedule"]);
    assert.equal(record.properties.name, "flaky");
    assert.equal(record.properties.source, "app.conf:7");
    assert.equal(record.properties.error, failures[i]);
  }
});

Deno.test("a failing cb or err is logged and the schedule goes on", async () => {
  const { clock, scheduler } = fakeScheduler();
  const { runs, func } = recorder(clock, (_event, index) => {
    if (index % 2) throw new Error("run failed");
    return "fine";
  });
  scheduler.add(schedule({
    func,
    every: 0.05,
    cb: () => {
      throw new Error("cb failed");
    },
    err: () => Promise.reject(new Error("err failed")),
  }));
  const records = await withLogs(async () => {
    scheduler.start();
    await clock.advance(150);
    await scheduler.stop();
  });
  assert.equal(runs.length, 4);
  const messages = records.map((r) => (r.properties.error as Error)?.message);
  assert.equal(messages.filter((m) => m === "cb failed").length, 2);
  assert.equal(messages.filter((m) => m === "err failed").length, 2);
  assert.equal(messages.filter((m) => m === "run failed").length, 2);
});

Deno.test("stop() aborts the signal of a running run and waits for it and its cb", async () => {
  const { clock, scheduler } = fakeScheduler();
  const steps: string[] = [];
  const { runs, func } = recorder(clock, async (event) => {
    await new Promise((resolve) =>
      event.signal.addEventListener("abort", resolve)
    );
    await Promise.resolve();
    steps.push("finished");
  });
  scheduler.add(schedule({
    func,
    every: 10,
    cb: async () => {
      await Promise.resolve();
      steps.push("cb");
    },
  }));
  scheduler.start();
  await clock.advance(0);
  assert.equal(runs[0].event.signal.aborted, false);
  await scheduler.stop(5_000);
  assert.equal(runs[0].event.signal.aborted, true);
  assert.equal(runs[0].event.signal.reason.name, "AbortError");
  assert.deepEqual(steps, ["finished", "cb"]);
  assert.equal(clock.pending, 0, "no timer is left behind");
});

Deno.test("stop() waits no longer than its timeout for a run that ignores its signal", async () => {
  const { clock, scheduler } = fakeScheduler();
  const { opened, open } = gate();
  const { func } = recorder(clock, () => opened);
  scheduler.add(schedule({ func, every: 10 }));
  let stopped = false;
  const records = await withLogs(async () => {
    scheduler.start();
    await clock.advance(0);
    const stopping = scheduler.stop(100).then(() => stopped = true);
    await clock.advance(99);
    assert.equal(stopped, false);
    await clock.advance(1);
    await stopping;
  });
  open();
  const warning = records.find((r) => r.level === "warning");
  assert.equal(warning?.properties.count, 1);
  assert.throws(
    () => scheduler.add(schedule({ name: "late", func, every: 1 })),
    (error: unknown) =>
      error instanceof AioError &&
      error.message === "Cannot add schedule late: the scheduler is stopped",
  );
});

Deno.test("timeout cuts a hung run: its signal aborts, err gets a TimeoutError, stop does not wait", async () => {
  const infos: RunInfo[] = [];
  const { clock, scheduler } = fakeScheduler({ onRun: (i) => infos.push(i) });
  const { opened, open } = gate();
  const errors: unknown[] = [];
  const { runs, func } = recorder(clock, () => opened);
  scheduler.add(schedule({
    func,
    every: 10,
    timeout: 0.1,
    err: (error) => errors.push(error),
  }));
  await withLogs(async () => {
    scheduler.start();
    await clock.advance(99);
    assert.equal(errors.length, 0);
    await clock.advance(1);
  });
  assert.equal(errors.length, 1);
  const error = errors[0] as DOMException;
  assert.ok(error instanceof DOMException);
  assert.equal(error.name, "TimeoutError");
  assert.equal(error.message, "Schedule test timed out after 0.1 s");
  assert.equal(runs[0].event.signal.aborted, true);
  assert.equal(runs[0].event.signal.reason, error);
  assert.deepEqual(infos, [{
    name: "test",
    outcome: "timeout",
    latenessMs: 0,
    durationMs: 100,
  }]);
  // The cut run no longer holds up stop().
  await scheduler.stop(5_000);
  open();
});

Deno.test("a run that finishes within its timeout goes to cb", async () => {
  const { clock, scheduler } = fakeScheduler();
  const results: unknown[] = [];
  const { func } = recorder(clock, async (event) => {
    await Promise.resolve();
    return event.signal.aborted ? "aborted" : "in time";
  });
  scheduler.add(schedule({
    func,
    every: 10,
    timeout: 5,
    cb: (result) => results.push(result),
  }));
  scheduler.start();
  await clock.advance(6_000);
  await scheduler.stop();
  assert.deepEqual(results, ["in time"]);
  assert.equal(clock.pending, 0);
});

Deno.test("a timeout longer than a runtime timer can wait does not cut the run at once", async () => {
  const { clock, scheduler } = fakeScheduler();
  const delays: number[] = [];
  const setTimer = clock.setTimeout.bind(clock);
  clock.setTimeout = (fn, ms) => (delays.push(ms), setTimer(fn, ms));
  const errors: unknown[] = [];
  const { opened, open } = gate();
  const { func } = recorder(clock, () => opened);
  // 1e7 s is 1e10 ms, past the 2^31-1 ms a runtime timer takes.
  scheduler.add(schedule({
    func,
    every: 1e12,
    timeout: 1e7,
    err: (e) => errors.push(e),
  }));
  scheduler.start();
  await clock.advance(10 * 60_000);
  assert.deepEqual(errors, []);
  assert.ok(delays.every((ms) => ms <= MAX_TIMER_MS), `delays ${delays}`);
  open();
  await scheduler.stop();
});

Deno.test("every = 1e12 runs at start, then only wakes once a minute (no timer overflow)", async () => {
  const { clock, scheduler } = fakeScheduler();
  const delays: number[] = [];
  const setTimer = clock.setTimeout.bind(clock);
  clock.setTimeout = (fn, ms) => (delays.push(ms), setTimer(fn, ms));
  const { runs, func } = recorder(clock);
  scheduler.add(schedule({ func, every: 1e12 }));
  scheduler.start();
  await clock.advance(10 * 60_000);
  await scheduler.stop();
  assert.equal(runs.length, 1);
  // The first run at once, then a wake-up each minute, none longer.
  assert.deepEqual(delays, [0, ...Array(11).fill(MAX_TIMER_MS)]);
});

Deno.test("cron * * * * * * runs every second, on the second", async () => {
  await loadCron();
  const clock = new FakeClock(EPOCH_2025 + 250);
  const scheduler = new Scheduler({ clock });
  const { runs, func, scheduled } = recorder(clock);
  scheduler.add(schedule({ func, cron: "* * * * * *", timezone: "UTC" }));
  scheduler.start();
  await clock.advance(3_000);
  await scheduler.stop();
  assert.deepEqual(scheduled(EPOCH_2025), [1_000, 2_000, 3_000]);
  assert.deepEqual(runs.map((run) => run.at), [750, 1_750, 2_750]);
});

Deno.test("cron follows the wall clock when it jumps; every does not", async () => {
  await loadCron();
  const clock = new FakeClock(EPOCH_2025 + 30_000);
  const scheduler = new Scheduler({ clock });
  const cron = recorder(clock);
  const every = recorder(clock);
  scheduler.add(schedule({
    name: "minutely",
    func: cron.func,
    cron: "0 * * * * *",
    timezone: "UTC",
  }));
  scheduler.add(schedule({ name: "every", func: every.func, every: 60 }));
  scheduler.start();
  // The wall clock is set back 10 minutes: the cron run due at 00:01:00
  // waits for the wall clock to reach it again.
  clock.jumpWall(-10 * 60_000);
  await clock.advance(10 * 60_000 + 30_000);
  await scheduler.stop();
  assert.deepEqual(cron.scheduled(EPOCH_2025), [60_000]);
  assert.ok(cron.runs[0].at >= 10 * 60_000 + 30_000 - 1_000);
  // every = 60 keeps to the monotonic clock: start, then each minute.
  assert.deepEqual(
    every.runs.map((run) => run.at),
    Array.from({ length: 11 }, (_, k) => k * 60_000),
  );
});

Deno.test("jitter delays runs by less than its length and keeps scheduledAt exact", async () => {
  const { clock, scheduler } = fakeScheduler();
  const { runs, func, scheduled } = recorder(clock);
  scheduler.add(schedule({ func, every: 0.1, jitter: 0.05 }));
  scheduler.start();
  await clock.advance(1_950);
  await scheduler.stop();
  assert.equal(runs.length, 20);
  assert.deepEqual(scheduled(EPOCH_2025), runs.map((_, k) => k * 100));
  const delays = runs.map((run, k) => run.at - k * 100);
  assert.ok(delays.every((d) => d >= 0 && d < 50 + 1), `delays ${delays}`);
  assert.ok(delays.some((d) => d > 0), "some run is delayed");
});

Deno.test("a schedule added after start runs at once", async () => {
  const { clock, scheduler } = fakeScheduler();
  const { runs, func, scheduled } = recorder(clock);
  scheduler.start();
  await clock.advance(1_000);
  scheduler.add(schedule({ func, every: 60 }));
  await clock.advance(0);
  await scheduler.stop();
  assert.deepEqual(scheduled(EPOCH_2025), [1_000]);
  assert.deepEqual(runs.map((run) => run.at), [1_000]);
  assert.equal(scheduler.size, 1);
});

Deno.test("onRun hears each run's outcome, lateness and duration", async () => {
  const infos: RunInfo[] = [];
  const { clock, scheduler } = fakeScheduler({ onRun: (i) => infos.push(i) });
  const { func } = recorder(clock, async (_event, index) => {
    await new Promise((resolve) => clock.setTimeout(() => resolve(0), 30));
    if (index === 1) throw new Error("no");
  });
  scheduler.add(schedule({ func, every: 0.1 }));
  scheduler.start();
  await clock.advance(150);
  await scheduler.stop();
  assert.deepEqual(infos, [
    { name: "test", outcome: "ok", latenessMs: 0, durationMs: 30 },
    { name: "test", outcome: "error", latenessMs: 0, durationMs: 30 },
  ]);
});

Deno.test("an onRun that throws is logged and the runs go on", async () => {
  const { clock, scheduler } = fakeScheduler({
    onRun: () => {
      throw new Error("observer broke");
    },
  });
  const { runs, func } = recorder(clock);
  scheduler.add(schedule({ func, every: 0.1 }));
  const records = await withLogs(async () => {
    scheduler.start();
    await clock.advance(250);
    await scheduler.stop();
  });
  assert.equal(runs.length, 3);
  const errors = records.filter((r) => r.level === "error");
  assert.equal(errors.length, 3);
  assert.equal((errors[0].properties.error as Error).message, "observer broke");
});

Deno.test("add() rejects a bad definition with the schedule's name and source", async () => {
  await loadCron();
  const scheduler = new Scheduler({ clock: new FakeClock() });
  const func = () => {};
  const cases: [Partial<ScheduleDefinition>, RegExp][] = [
    [{}, /^Schedule test \(test.conf:1\): needs exactly one of every or cron$/],
    [{ every: 1, cron: "* * * * *" }, /exactly one of every or cron/],
    [
      { every: 0 },
      /every must be a number of seconds from 0.001 to 1e12, not 0$/,
    ],
    [{ every: 1e-7 }, /every must be .* not 1e-7$/],
    [{ every: 1e13 }, /every must be .* not 10000000000000$/],
    [{ every: Infinity }, /every must be/],
    [{ every: NaN }, /every must be/],
    [
      { every: 1, jitter: -1 },
      /jitter must be a number of seconds from 0 to 2147483, not -1$/,
    ],
    [{ every: 1, jitter: 2 }, /jitter must be at most every \(1 s\), not 2$/],
    [{ every: 1, timeout: 1e-9 }, /timeout must be .* from 0.001 to 1e12/],
    [{ every: 1, timeout: NaN }, /timeout must be a number of seconds/],
    [{ cron: "61 * * * *" }, /cron: bad expression "61 \* \* \* \*": .*minute/],
    [
      { cron: "* * * * *", timezone: "Mars/Olympus" },
      /cron: unknown time zone "Mars\/Olympus"/,
    ],
    [{ func: 42 as unknown as () => void, every: 1 }, /func is not a function/],
    [{ every: 1, overlap: "never" as "skip" }, /overlap must be allow or skip/],
    [{ every: 1, anchor: "noon" as "start" }, /anchor must be start or epoch/],
    [{ every: 1, cluster: "once" }, /cluster = once needs a claim/],
  ];
  for (const [def, pattern] of cases) {
    assert.throws(
      () => scheduler.add(schedule({ func, ...def })),
      (error: unknown) =>
        error instanceof AioError && pattern.test(error.message),
      String(pattern),
    );
  }
  assert.equal(scheduler.size, 0);
  scheduler.add(schedule({ func, every: 1 }));
  assert.throws(
    () => scheduler.add(schedule({ func, every: 2 })),
    /Schedule test \(test.conf:1\): a schedule of that name was already added/,
  );
  assert.equal(scheduler.size, 1);
});
