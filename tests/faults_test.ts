// Faults inside the app: listeners and scheduled runs that throw, reject,
// hang or throw non-Error values are logged with their name and source,
// and the app goes on.
import { equal, match, ok, rejects as assertRejects } from "node:assert/strict";
import { app, runner } from "../mod.ts";
import { flushLogging } from "../src/logging.ts";
import { logFile } from "./_logs.ts";
import { aborted, handedErrors, nextError } from "./fixtures/app/faulty.ts";

const source = new URL("./fixtures/app/faults.conf", import.meta.url).pathname;

Deno.test("failing listeners are logged with name and source; the others still answer", async () => {
  const log = await logFile();
  try {
    await runner(["run"], {
      configSource: source,
      configString: `[listen/faulty]
boom = ./faulty.ts#throwsError
  ./faulty.ts#throwsString
  ./faulty.ts#rejects
  ./faulty.ts#fine
${log.config}`,
    });
    await assertRejects(app.signals!.emit("boom", 1), (error: unknown) => {
      ok(error instanceof AggregateError);
      equal(error.errors.length, 3);
      return true;
    });
    ok(app.running, "the app goes on");
    await flushLogging();
    const text = await log.read();
    match(text, /faulty\.ts#throwsError \(.*faults\.conf:2\)/);
    match(text, /faulty\.ts#throwsString \(.*faults\.conf:2\)/);
    match(text, /a plain string/);
    match(text, /async failure/);
  } finally {
    await app.clear();
    await Deno.remove(log.path);
  }
});

Deno.test("a hung listener cannot hold the stop beyond shutdown_timeout", async () => {
  await runner(["run"], {
    configSource: source,
    configString: "[aio]\nlog_level = CRITICAL\nshutdown_timeout = 0.3\n" +
      "[listen/x]\naio-stopping = ./faulty.ts#hangs\naio-stopped = ./faulty.ts#hangs\n",
  });
  const started = performance.now();
  await app.clear();
  const elapsed = performance.now() - started;
  // aio-stopping hangs until the 0.3 s deadline; aio-stopped, past it, still
  // gets its 0.25 s grace. The upper bound leaves slack for a loaded machine.
  ok(elapsed < 2000, `stop took ${elapsed.toFixed(0)} ms`);
  ok(
    elapsed >= 500,
    `stop took ${elapsed.toFixed(0)} ms: the deadlines were not waited for`,
  );
});

Deno.test("a scheduled run that throws is logged, handed to err, and the schedule goes on", async () => {
  const log = await logFile();
  try {
    handedErrors.length = 0;
    await runner(["run"], {
      configSource: source,
      configString:
        "[schedule/flaky]\nfunc = ./faulty.ts#throwsString\nerr = ./faulty.ts#recordError\nevery = 0.05\n" +
        log.config,
    });
    equal(await nextError(), "a plain string");
    equal(await nextError(), "a plain string");
    ok(handedErrors.length >= 2, "the schedule kept running after a failure");
    ok(app.running);
    await flushLogging();
    match(await log.read(), /flaky[^\n]*a plain string/);
  } finally {
    await app.clear();
    await Deno.remove(log.path);
  }
});

Deno.test("a hung scheduled run is cut at its timeout", async () => {
  aborted.length = 0;
  handedErrors.length = 0;
  await runner(["run"], {
    configSource: source,
    configString: "[aio]\nlog_level = CRITICAL\n" +
      "[schedule/hung]\nfunc = ./faulty.ts#hangUntilAborted\nerr = ./faulty.ts#recordError\nevery = 60\ntimeout = 0.1\n",
  });
  try {
    await nextError();
    equal(aborted.length, 1, "the run's signal aborted");
    ok(app.running);
  } finally {
    await app.clear();
  }
});
