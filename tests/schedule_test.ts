import assert from "node:assert/strict";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import { ConfigParser } from "../src/config/config_parser.ts";
import { ConfigError } from "../src/config/errors.ts";
import { AioError, ConfigErrors } from "../src/errors.ts";
import {
  parseScheduleSection,
  readScheduleSpec,
  type ScheduleDefinition,
  type ScheduleEvent,
  Scheduler,
} from "../src/schedule.ts";

/** Lets a test wait for a condition that callbacks make true, with a deadline. */
class Waiter {
  #checks = new Set<() => void>();

  /** Re-checks every pending condition. */
  notify() {
    for (const check of [...this.#checks]) check();
  }

  /** Resolves once `predicate` holds; rejects after `timeoutMs`. */
  until(predicate: () => boolean, what: string, timeoutMs = 10_000) {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#checks.delete(check);
        reject(new Error(`Timed out waiting for ${what}`));
      }, timeoutMs);
      const check = () => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.#checks.delete(check);
        resolve();
      };
      this.#checks.add(check);
      check();
    });
  }
}

/** Runs `fn` with LogTape sending aio's records (debug and up) to `logs`. */
async function withLogs(
  fn: (logs: { records: LogRecord[]; waiter: Waiter }) => Promise<void>,
): Promise<LogRecord[]> {
  const records: LogRecord[] = [];
  const waiter = new Waiter();
  await configure({
    sinks: {
      buffer: (record) => {
        records.push(record);
        waiter.notify();
      },
    },
    loggers: [
      { category: ["aio"], sinks: ["buffer"], lowestLevel: "debug" },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
    ],
    reset: true,
  });
  try {
    await fn({ records, waiter });
  } finally {
    await reset();
  }
  return records;
}

interface Run {
  event: ScheduleEvent;
  /** Date.now() when the function was called. */
  wall: number;
}

/** A scheduled function that records its runs and wakes `waiter`. */
function recorder(body?: (event: ScheduleEvent, index: number) => unknown) {
  const runs: Run[] = [];
  const waiter = new Waiter();
  const func = (_name: string, event: ScheduleEvent) => {
    runs.push({ event, wall: Date.now() });
    const index = runs.length - 1;
    waiter.notify();
    return body?.(event, index);
  };
  return { runs, waiter, func };
}

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => open = resolve);
  return { opened, open };
}

function delay(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function schedule(
  def: Partial<ScheduleDefinition> & Pick<ScheduleDefinition, "func">,
): ScheduleDefinition {
  return { name: "test", source: "test.conf:1", config: {}, ...def };
}

Deno.test("every = 2 runs three times in five seconds", async () => {
  const { runs, waiter, func } = recorder();
  const scheduler = new Scheduler();
  scheduler.add(schedule({ func, every: 2 }));
  const started = Date.now();
  scheduler.start();
  try {
    await waiter.until(() => runs.length >= 3, "the third run", 8_000);
    const third = runs[2].wall - started;
    assert.ok(Math.abs(third - 4_000) <= 200, `third run at ${third} ms`);
    // The fourth is due at 6 s: at 5 s there must still be three.
    await delay(started + 5_000 - Date.now());
    assert.equal(runs.length, 3);
  } finally {
    await scheduler.stop(1_000);
  }
  const at = runs.map((run) => run.event.scheduledAt.getTime());
  assert.deepEqual(at, [at[0], at[0] + 2_000, at[0] + 4_000]);
});

Deno.test("every = 0.1 accumulates no drift", async () => {
  const { runs, waiter, func } = recorder();
  const scheduler = new Scheduler();
  scheduler.add(schedule({ func, every: 0.1, config: { every: "0.1" } }));
  const started = Date.now();
  scheduler.start();
  try {
    await waiter.until(() => runs.length >= 21, "21 runs", 10_000);
  } finally {
    await scheduler.stop(1_000);
  }
  const first = runs[0].event.scheduledAt.getTime();
  assert.ok(Math.abs(first - started) <= 5, "the first run is at start");
  const lateness = runs.map((run, k) => {
    // The k-th run stands for exactly start + k·100 ms.
    assert.equal(run.event.scheduledAt.getTime(), first + k * 100, `run ${k}`);
    assert.equal(run.event.name, "test");
    assert.deepEqual(run.event.config, { every: "0.1" });
    return run.wall - run.event.scheduledAt.getTime();
  }).sort((a, b) => a - b);
  // Tolerance for a busy shared two-core machine running the suite in
  // parallel: the median run is at most 30 ms late and none more than 250 ms
  // (Deno's timers alone give about 1 ms; bench/ measures the real figure).
  // Drift is what this test is about: scheduledAt is exact, above.
  assert.ok(lateness[0] >= -1, `early by ${-lateness[0]} ms`);
  assert.ok(lateness[10] <= 30, `median lateness ${lateness[10]} ms`);
  assert.ok(lateness[20] <= 250, `worst lateness ${lateness[20]} ms`);
});

Deno.test("a schedule far behind resumes at the next slot without a burst", async () => {
  const { runs, waiter, func } = recorder((_event, index) => {
    if (index !== 0) return;
    // Block the event loop for 3.5 periods.
    const end = performance.now() + 350;
    while (performance.now() < end) { /* busy */ }
  });
  const scheduler = new Scheduler();
  scheduler.add(schedule({ func, every: 0.1 }));
  scheduler.start();
  let blockedUntil = 0;
  try {
    await waiter.until(() => runs.length >= 1, "the first run");
    blockedUntil = Date.now();
    await waiter.until(() => runs.length >= 3, "three runs");
  } finally {
    await scheduler.stop(1_000);
  }
  const at = runs.map((run) =>
    run.event.scheduledAt.getTime() - runs[0].event.scheduledAt.getTime()
  );
  assert.ok(at[1] >= 400 && at[1] % 100 === 0, `second run for ${at[1]} ms`);
  assert.ok(runs[1].event.scheduledAt.getTime() >= blockedUntil - 100);
  assert.equal(at[2], at[1] + 100);
});

Deno.test("overlap = skip skips a run due while the last one runs", async () => {
  const { opened, open } = gate();
  const { runs, func } = recorder(() => opened);
  const scheduler = new Scheduler();
  scheduler.add(schedule({ name: "slow", func, every: 0.05, overlap: "skip" }));
  const records = await withLogs(async ({ records, waiter }) => {
    scheduler.start();
    const skips = () =>
      records.filter((r) => String(r.message.join("")).includes("skipped"))
        .length;
    try {
      await waiter.until(() => skips() >= 2, "two skipped runs");
      assert.equal(runs.length, 1);
    } finally {
      open();
      await scheduler.stop(1_000);
    }
  });
  const skip = records.find((r) => r.message.join("").includes("skipped"))!;
  assert.equal(skip.level, "debug");
  assert.deepEqual(skip.category, ["aio", "schedule"]);
  assert.equal(skip.properties.name, "slow");
  assert.equal(skip.properties.source, "test.conf:1");
});

Deno.test("overlap = allow starts the next run while the last one runs", async () => {
  const { opened, open } = gate();
  let finished = 0;
  const { runs, waiter, func } = recorder(async () => {
    await opened;
    finished++;
  });
  const scheduler = new Scheduler();
  scheduler.add(schedule({ func, every: 0.05 }));
  scheduler.start();
  try {
    await waiter.until(() => runs.length >= 3, "three overlapping runs");
    assert.equal(finished, 0);
  } finally {
    open();
    await scheduler.stop(1_000);
  }
  assert.equal(finished, runs.length);
});

Deno.test("failing runs go to err and the log, results to cb, and the schedule goes on", async () => {
  const failures: unknown[] = [
    new Error("sync"),
    new Error("async"),
    "a string",
  ];
  const errors: [unknown, ScheduleEvent][] = [];
  const results: [unknown, ScheduleEvent][] = [];
  const { func } = recorder((_event, index) => {
    if (index === 0) throw failures[0];
    if (index === 1) return Promise.reject(failures[1]);
    if (index === 2) throw failures[2];
    return Promise.resolve(`ok ${index}`);
  });
  const done = new Waiter();
  const scheduler = new Scheduler();
  scheduler.add(schedule({
    name: "flaky",
    source: "app.conf:7",
    func,
    every: 0.05,
    err: (error, event) => {
      errors.push([error, event]);
    },
    cb: (result, event) => {
      results.push([result, event]);
      done.notify();
    },
  }));
  const records = await withLogs(async () => {
    scheduler.start();
    try {
      await done.until(() => results.length >= 2, "two results");
    } finally {
      await scheduler.stop(1_000);
    }
  });
  assert.deepEqual(errors.map(([error]) => error), failures);
  assert.deepEqual(results.slice(0, 2).map(([result]) => result), [
    "ok 3",
    "ok 4",
  ]);
  assert.equal(results[0][1].name, "flaky");
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
  const { runs, waiter, func } = recorder((_event, index) => {
    if (index % 2) throw new Error("run failed");
    return "fine";
  });
  const scheduler = new Scheduler();
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
    try {
      await waiter.until(() => runs.length >= 4, "four runs");
    } finally {
      await scheduler.stop(1_000);
    }
  });
  const messages = records.map((r) => (r.properties.error as Error)?.message);
  assert.ok(messages.includes("cb failed"));
  assert.ok(messages.includes("err failed"));
  assert.ok(messages.includes("run failed"));
});

Deno.test("stop() aborts the signal of a running run and waits for it", async () => {
  let finished = false;
  const { runs, waiter, func } = recorder(async (event) => {
    await new Promise((resolve) =>
      event.signal.addEventListener("abort", resolve)
    );
    await delay(50);
    finished = true;
  });
  const scheduler = new Scheduler();
  scheduler.add(schedule({ func, every: 10 }));
  scheduler.start();
  await waiter.until(() => runs.length >= 1, "the first run");
  assert.equal(runs[0].event.signal.aborted, false);
  await scheduler.stop(5_000);
  assert.equal(runs[0].event.signal.aborted, true);
  assert.equal(finished, true);
  assert.equal(runs.length, 1);
});

Deno.test("stop() waits no longer than its timeout for a run that ignores its signal", async () => {
  const { opened, open } = gate();
  const { runs, waiter, func } = recorder(() => opened);
  const scheduler = new Scheduler();
  scheduler.add(schedule({ func, every: 10 }));
  const records = await withLogs(async () => {
    scheduler.start();
    await waiter.until(() => runs.length >= 1, "the first run");
    const before = performance.now();
    await scheduler.stop(100);
    const waited = performance.now() - before;
    assert.ok(waited >= 90 && waited < 2_000, `waited ${waited} ms`);
  });
  open();
  const warning = records.find((r) => r.level === "warning");
  assert.equal(warning?.properties.count, 1);
  // A stopped scheduler refuses new schedules.
  assert.throws(() => scheduler.add(schedule({ func, every: 1 })), AioError);
});

Deno.test("timeout cuts a hung run: its signal aborts and err gets a TimeoutError", async () => {
  const { opened, open } = gate();
  const errors: unknown[] = [];
  const done = new Waiter();
  const { runs, func } = recorder(() => opened);
  const scheduler = new Scheduler();
  scheduler.add(schedule({
    func,
    every: 10,
    timeout: 0.1,
    err: (error) => {
      errors.push(error);
      done.notify();
    },
  }));
  const started = performance.now();
  await withLogs(async () => {
    scheduler.start();
    await done.until(() => errors.length >= 1, "the timeout");
  });
  const took = performance.now() - started;
  assert.ok(took >= 90 && took < 3_000, `cut after ${took} ms`);
  assert.ok(errors[0] instanceof DOMException);
  assert.equal(errors[0].name, "TimeoutError");
  assert.match(errors[0].message, /test timed out after 0.1 s/);
  assert.equal(runs[0].event.signal.aborted, true);
  assert.equal(runs[0].event.signal.reason, errors[0]);
  // The cut run no longer holds up stop().
  const before = performance.now();
  await scheduler.stop(5_000);
  assert.ok(performance.now() - before < 1_000);
  open();
});

Deno.test("a run that finishes within its timeout goes to cb", async () => {
  const results: unknown[] = [];
  const done = new Waiter();
  const scheduler = new Scheduler();
  scheduler.add(schedule({
    func: async (_name, event) => {
      await delay(10);
      return event.signal.aborted ? "aborted" : "in time";
    },
    every: 10,
    timeout: 5,
    cb: (result) => {
      results.push(result);
      done.notify();
    },
  }));
  scheduler.start();
  try {
    await done.until(() => results.length >= 1, "the result");
  } finally {
    await scheduler.stop(1_000);
  }
  assert.deepEqual(results, ["in time"]);
});

Deno.test("cron * * * * * * runs every second, on the second", async () => {
  const { runs, waiter, func } = recorder();
  const scheduler = new Scheduler();
  scheduler.add(schedule({ func, cron: "* * * * * *", timezone: "UTC" }));
  scheduler.start();
  try {
    await waiter.until(() => runs.length >= 2, "two runs", 5_000);
  } finally {
    await scheduler.stop(1_000);
  }
  const [first, second] = runs.map((run) => run.event.scheduledAt.getTime());
  assert.equal(first % 1_000, 0);
  assert.equal(second, first + 1_000);
  for (const run of runs) {
    const late = run.wall - run.event.scheduledAt.getTime();
    assert.ok(late >= -2 && late < 200, `run late by ${late} ms`);
  }
});

Deno.test("jitter delays runs by less than its length and keeps scheduledAt exact", async () => {
  const { runs, waiter, func } = recorder();
  const scheduler = new Scheduler();
  scheduler.add(schedule({ func, every: 0.1, jitter: 0.05 }));
  scheduler.start();
  try {
    await waiter.until(() => runs.length >= 6, "six runs");
  } finally {
    await scheduler.stop(1_000);
  }
  const first = runs[0].event.scheduledAt.getTime();
  const lateness = runs.map((run, k) => {
    assert.equal(run.event.scheduledAt.getTime(), first + k * 100);
    return run.wall - run.event.scheduledAt.getTime();
  });
  assert.ok(Math.min(...lateness) >= -1);
  // Jitter is under 50 ms; the rest is the tolerance of a loaded machine.
  assert.ok(Math.max(...lateness) < 50 + 200, `lateness ${lateness}`);
});

Deno.test("a schedule added after start runs at once", async () => {
  const { runs, waiter, func } = recorder();
  const scheduler = new Scheduler();
  scheduler.start();
  const added = Date.now();
  scheduler.add(schedule({ func, every: 60 }));
  try {
    await waiter.until(() => runs.length >= 1, "the first run", 1_000);
  } finally {
    await scheduler.stop(1_000);
  }
  assert.ok(Math.abs(runs[0].event.scheduledAt.getTime() - added) <= 5);
  assert.equal(scheduler.size, 1);
});

Deno.test("add() rejects a bad definition with the schedule's name and source", () => {
  const scheduler = new Scheduler();
  const func = () => {};
  for (
    const [def, pattern] of [
      [{ func }, /test \(test.conf:1\): needs exactly one of every or cron/],
      [{ func, every: 1, cron: "* * * * *" }, /exactly one of every or cron/],
      [{ func, every: 0 }, /every must be a positive number of seconds, got 0/],
      [{ func, every: -1 }, /every must be a positive/],
      [{ func, every: Infinity }, /every must be a positive/],
      [{ func, every: 1, jitter: -1 }, /jitter must be a number of seconds/],
      [
        { func, cron: "61 * * * *" },
        /Bad cron expression "61 \* \* \* \*": Invalid value for minute: 61/,
      ],
      [
        { func, cron: "* * * * *", timezone: "Mars/Olympus" },
        /Unknown time zone "Mars\/Olympus"/,
      ],
      [
        { func: 42 as unknown as () => void, every: 1 },
        /func is not a function/,
      ],
      [
        { func, every: 1, overlap: "never" as "skip" },
        /overlap must be allow or skip/,
      ],
    ] as [Partial<ScheduleDefinition>, RegExp][]
  ) {
    assert.throws(
      () => scheduler.add(schedule({ func, ...def })),
      (error: unknown) =>
        error instanceof AioError && pattern.test(error.message),
      String(pattern),
    );
  }
  assert.equal(scheduler.size, 0);
});

const GOOD = `[schedule/tick]
func = ./app.ts#tick
every = 0.5

[schedule/nightly]
func = ./app.ts#nightly
cb = ./app.ts#done
err = ./app.ts#failed
cron = 0 3 * * *
timezone = Europe/Oslo
jitter = 1.5
timeout = 2
overlap = skip
greeting = hello
`;

Deno.test("readScheduleSpec reads a good section", () => {
  const config = new ConfigParser().readString(GOOD, "aio.conf");
  const tick = readScheduleSpec(config, "schedule/tick");
  assert.deepEqual(tick.errors, []);
  assert.deepEqual(tick.spec, {
    name: "tick",
    section: "schedule/tick",
    func: "./app.ts#tick",
    every: 0.5,
    overlap: "allow",
    config: { func: "./app.ts#tick", every: "0.5" },
    source: "aio.conf:1",
  });
  const nightly = readScheduleSpec(config, "schedule/nightly");
  assert.deepEqual(nightly.errors, []);
  assert.equal(nightly.spec.name, "nightly");
  assert.equal(nightly.spec.cron, "0 3 * * *");
  assert.equal(nightly.spec.timezone, "Europe/Oslo");
  assert.equal(nightly.spec.cb, "./app.ts#done");
  assert.equal(nightly.spec.err, "./app.ts#failed");
  assert.equal(nightly.spec.jitter, 1.5);
  assert.equal(nightly.spec.timeout, 2);
  assert.equal(nightly.spec.overlap, "skip");
  assert.equal(nightly.spec.config.greeting, "hello");
  assert.equal(nightly.spec.source, "aio.conf:5");
});

const BAD = `[schedule/bad]
every = 0
jitter = -1
timeout = nan
overlap = sometimes

[schedule/both]
func = ./app.ts#f
every = 1
cron = * * * * *

[schedule/neither]
func = ./app.ts#f

[schedule/cron]
func = ./app.ts#f
cron = 61 * * * *
timezone = Mars/Olympus

[schedule/numbers]
func =
every = inf

[schedule/negative]
func = ./app.ts#f
every = -2

[schedule/never]
func = ./app.ts#f
cron = 0 0 30 2 *

[schedule/seven]
func = ./app.ts#f
cron = * * * * * * *

[schedule/word]
func = ./app.ts#f
every = often
[schedule/interpolation]
func = \${missing}
every = 1
`;

function problems(section: string) {
  const config = new ConfigParser().readString(BAD, "bad.conf");
  return readScheduleSpec(config, section).errors.map((error) => {
    assert.ok(error instanceof ConfigError);
    return [error.line, error.detail] as const;
  });
}

Deno.test("readScheduleSpec reports every problem of a section at its line", () => {
  assert.deepEqual(problems("schedule/bad"), [
    [1, "Missing option func in [schedule/bad]"],
    [
      2,
      'Option every in [schedule/bad] must be a positive number of seconds, got "0"',
    ],
    [
      3,
      'Option jitter in [schedule/bad] must be a number of seconds, 0 or more, got "-1"',
    ],
    [
      4,
      'Option timeout in [schedule/bad] must be a number of seconds, 0 or more, got "nan"',
    ],
    [
      5,
      'Option overlap in [schedule/bad] must be allow or skip, got "sometimes"',
    ],
  ]);
  const bad = new ConfigParser().readString(BAD, "bad.conf");
  assert.match(
    readScheduleSpec(bad, "schedule/bad").errors[1].message,
    /^bad\.conf:2: Option every/,
  );
});

Deno.test("readScheduleSpec wants exactly one of every and cron, at the section header", () => {
  assert.deepEqual(problems("schedule/both"), [
    [7, "[schedule/both] needs exactly one of every or cron, not both"],
  ]);
  assert.deepEqual(problems("schedule/neither"), [
    [
      12,
      "[schedule/neither] needs exactly one of every or cron, found neither",
    ],
  ]);
});

Deno.test("readScheduleSpec rejects bad cron expressions and time zones", () => {
  assert.deepEqual(problems("schedule/cron"), [
    [18, 'Unknown time zone "Mars/Olympus" in [schedule/cron]'],
    [
      17,
      'Bad cron expression "61 * * * *" in [schedule/cron]: Invalid value for minute: 61',
    ],
  ]);
  assert.deepEqual(problems("schedule/never"), [
    [30, 'Cron expression "0 0 30 2 *" in [schedule/never] never matches'],
  ]);
  const [[line, detail]] = problems("schedule/seven");
  assert.equal(line, 34);
  assert.match(
    detail,
    /^Bad cron expression "\* \* \* \* \* \* \*" in \[schedule\/seven\]: .*5 or 6 parts/,
  );
});

Deno.test("readScheduleSpec rejects every values that are not positive numbers", () => {
  assert.deepEqual(problems("schedule/numbers"), [
    [21, "Option func in [schedule/numbers] is empty"],
    [
      22,
      'Option every in [schedule/numbers] must be a positive number of seconds, got "inf"',
    ],
  ]);
  assert.deepEqual(problems("schedule/negative"), [
    [
      26,
      'Option every in [schedule/negative] must be a positive number of seconds, got "-2"',
    ],
  ]);
  assert.deepEqual(problems("schedule/word"), [
    [
      38,
      'Option every in [schedule/word] must be a positive number of seconds, got "often"',
    ],
  ]);
});

Deno.test("readScheduleSpec reports an interpolation error among the others", () => {
  const found = problems("schedule/interpolation");
  assert.equal(found.length, 1);
  assert.equal(found[0][0], 40);
  assert.match(found[0][1], /missing/i);
});

Deno.test("parseScheduleSection resolves references into a runnable definition", async () => {
  const config = new ConfigParser().readString(
    "[schedule/tick]\nfunc = ./app.ts#tick\ncb = ./app.ts#done\nevery = 0.05\nwho = me\n",
    "aio.conf",
  );
  const results: unknown[] = [];
  const done = new Waiter();
  const exports: Record<string, unknown> = {
    "./app.ts#tick": (name: string, event: ScheduleEvent) =>
      `${name} for ${event.config.who}`,
    "./app.ts#done": (result: unknown) => {
      results.push(result);
      done.notify();
    },
  };
  const asked: string[] = [];
  const def = await parseScheduleSection(
    config,
    "schedule/tick",
    (ref, option) => {
      asked.push(option);
      return exports[ref];
    },
  );
  assert.deepEqual(asked, ["func", "cb"]);
  assert.equal(def.source, "aio.conf:1");
  const scheduler = new Scheduler();
  scheduler.add(def);
  scheduler.start();
  try {
    await done.until(() => results.length >= 1, "a result");
  } finally {
    await scheduler.stop(1_000);
  }
  assert.equal(results[0], "tick for me");
});

Deno.test("parseScheduleSection collects reference problems with the others", async () => {
  const config = new ConfigParser().readString(
    "[schedule/x]\nfunc = ./app.ts#count\ncb = ./gone.ts\nerr = ./app.ts#missing\nevery = 0\n",
    "aio.conf",
  );
  const error = await parseScheduleSection(
    config,
    "schedule/x",
    async (ref) => {
      await Promise.resolve();
      if (ref === "./app.ts#count") return 42;
      if (ref === "./gone.ts") throw new Error("Module not found");
      throw new ConfigError("Missing export missing in ./app.ts", {
        source: "aio.conf",
        line: 4,
      });
    },
  ).catch((e) => e);
  assert.ok(error instanceof ConfigErrors);
  assert.deepEqual(error.errors.map((e) => [e.line, e.detail]), [
    [
      5,
      'Option every in [schedule/x] must be a positive number of seconds, got "0"',
    ],
    [2, "./app.ts#count is a number, not a function, in [schedule/x]"],
    [3, "Cannot load ./gone.ts in [schedule/x]: Module not found"],
    [4, "Missing export missing in ./app.ts"],
  ]);
});
