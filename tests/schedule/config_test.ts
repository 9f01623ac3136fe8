// Reading `[schedule/NAME]` sections: every problem, at its line, in one shape.
import assert from "node:assert/strict";
import { ConfigParser } from "../../src/config/config_parser.ts";
import { Problems } from "../../src/config/problems.ts";
import { loadCron } from "../../src/schedule/_cron.ts";
import { readScheduleSpec } from "../../src/schedule/config.ts";

await loadCron();

/** The problems of `section` in `text`, as `LINE: message` strings. */
function problemsOf(text: string, section: string) {
  const config = new ConfigParser().readString(text, "bad.conf");
  const problems = new Problems();
  const spec = readScheduleSpec(config, section, problems);
  return {
    spec,
    errors: problems.errors.map((error) => error.message),
    warnings: problems.warnings.map((warning) => warning.message),
  };
}

Deno.test("a sound section reads into a spec", () => {
  const config = new ConfigParser().readString(
    `[aio/cluster]
url = nats://127.0.0.1:4222

[schedule/nightly]
func = ./app.ts#nightly
cb = ./app.ts#done
err = ./app.ts#failed
cron = 0 3 * * *
timezone = Europe/Oslo
jitter = 1.5
timeout = 2
overlap = SKIP
cluster = once
workers = all
`,
    "aio.conf",
  );
  const problems = new Problems();
  const spec = readScheduleSpec(config, "schedule/nightly", problems);
  assert.deepEqual(problems.errors, []);
  assert.deepEqual(problems.warnings, []);
  const ref = (value: string, option: string, line: number) => ({
    option,
    value,
    source: { file: "aio.conf", line },
  });
  assert.deepEqual(spec, {
    section: "schedule/nightly",
    name: "nightly",
    func: ref("./app.ts#nightly", "func", 5),
    cb: ref("./app.ts#done", "cb", 6),
    err: ref("./app.ts#failed", "err", 7),
    cron: "0 3 * * *",
    timezone: "Europe/Oslo",
    jitter: 1.5,
    timeout: 2,
    overlap: "skip",
    cluster: "once",
    workers: "all",
    config: {
      func: "./app.ts#nightly",
      cb: "./app.ts#done",
      err: "./app.ts#failed",
      cron: "0 3 * * *",
      timezone: "Europe/Oslo",
      jitter: "1.5",
      timeout: "2",
      overlap: "SKIP",
      cluster: "once",
      workers: "all",
    },
    source: "aio.conf:4",
  });
});

Deno.test("defaults: overlap allow, cluster each, workers one", () => {
  const { spec, errors } = problemsOf(
    "[schedule/tick]\nfunc = ./app.ts#tick\nevery = 0.5\n",
    "schedule/tick",
  );
  assert.deepEqual(errors, []);
  assert.equal(spec?.every, 0.5);
  assert.equal(spec?.overlap, "allow");
  assert.equal(spec?.cluster, "each");
  assert.equal(spec?.workers, "one");
  assert.equal(spec?.cron, undefined);
});

Deno.test("every problem of a section is reported at its line, in one shape", () => {
  const { spec, errors } = problemsOf(
    `[schedule/bad]
every = 0
jitter = -1
timeout = nan
overlap = sometimes
cluster = twice
workers = some
`,
    "schedule/bad",
  );
  assert.equal(spec, undefined);
  assert.deepEqual(errors, [
    "bad.conf:1: [schedule/bad] needs func (SPECIFIER#EXPORT)",
    'bad.conf:2: [schedule/bad] every: must be a number of seconds from 0.001 to 1e12, not "0"',
    'bad.conf:3: [schedule/bad] jitter: must be a number of seconds from 0 to 2147483, not "-1"',
    'bad.conf:4: [schedule/bad] timeout: must be a number of seconds from 0.001 to 1e12, not "nan"',
    'bad.conf:5: [schedule/bad] overlap: must be one of allow, skip, not "sometimes"',
    'bad.conf:6: [schedule/bad] cluster: must be one of each, once, not "twice"',
    'bad.conf:7: [schedule/bad] workers: must be one of one, all, not "some"',
  ]);
});

Deno.test("every below 1 ms is rejected, and so is every past 1e12 s; 1e12 itself is fine", () => {
  const every = (value: string) =>
    problemsOf(
      `[schedule/tick]\nfunc = ./app.ts#tick\nevery = ${value}\n`,
      "schedule/tick",
    );
  assert.deepEqual(every("1e-7").errors, [
    'bad.conf:3: [schedule/tick] every: must be a number of seconds from 0.001 to 1e12, not "1e-7"',
  ]);
  assert.deepEqual(every("0.0009").errors.length, 1);
  assert.deepEqual(every("0.001").errors, []);
  assert.deepEqual(every("1e12").errors, []);
  assert.equal(every("1e12").spec?.every, 1e12);
  assert.deepEqual(every("1e13").errors, [
    'bad.conf:3: [schedule/tick] every: must be a number of seconds from 0.001 to 1e12, not "1e13"',
  ]);
  for (const value of ["inf", "-2", "often", ""]) {
    assert.match(
      every(value).errors[0],
      /^bad\.conf:3: \[schedule\/tick\] every: must be a number of seconds from 0\.001 to 1e12, not /,
      value,
    );
  }
});

Deno.test("exactly one of every and cron, reported at the section header", () => {
  assert.deepEqual(
    problemsOf(
      "\n[schedule/both]\nfunc = ./app.ts#f\nevery = 1\ncron = * * * * *\n",
      "schedule/both",
    ).errors,
    [
      "bad.conf:2: [schedule/both] needs exactly one of every or cron, not both",
    ],
  );
  assert.deepEqual(
    problemsOf("[schedule/neither]\nfunc = ./app.ts#f\n", "schedule/neither")
      .errors,
    [
      "bad.conf:1: [schedule/neither] needs exactly one of every or cron, found neither",
    ],
  );
});

Deno.test("bad cron expressions and time zones are reported at their lines", () => {
  const cron = (expression: string, timezone = "UTC") =>
    problemsOf(
      `[schedule/c]\nfunc = ./app.ts#f\ncron = ${expression}\ntimezone = ${timezone}\n`,
      "schedule/c",
    ).errors;
  assert.deepEqual(cron("61 * * * *", "Mars/Olympus"), [
    'bad.conf:4: [schedule/c] timezone: unknown time zone "Mars/Olympus"',
    'bad.conf:3: [schedule/c] cron: bad expression "61 * * * *": Invalid value for minute: 61',
  ]);
  assert.deepEqual(cron("0 0 30 2 *"), [
    'bad.conf:3: [schedule/c] cron: "0 0 30 2 *" never matches',
  ]);
  assert.match(
    cron("* * * * * * *")[0],
    /^bad\.conf:3: \[schedule\/c\] cron: must have 5 fields, or 6 with seconds first, not 7$/,
  );
  assert.deepEqual(cron("* * * *"), [
    "bad.conf:3: [schedule/c] cron: must have 5 fields, or 6 with seconds first, not 4",
  ]);
  assert.deepEqual(cron("@daily"), []);
  assert.deepEqual(cron("0 3 * * *", "Europe/Oslo"), []);
});

Deno.test("cluster = once needs an [aio/cluster] section", () => {
  const section =
    "[schedule/nightly]\nfunc = ./app.ts#f\nevery = 60\ncluster = once\n";
  assert.deepEqual(problemsOf(section, "schedule/nightly").errors, [
    "bad.conf:4: [schedule/nightly] cluster: once needs an [aio/cluster] section (the hosts that share the runs)",
  ]);
  const clustered = problemsOf(
    `${section}[aio/cluster]\nurl = nats://127.0.0.1:4222\n`,
    "schedule/nightly",
  );
  assert.deepEqual(clustered.errors, []);
  assert.equal(clustered.spec?.cluster, "once");
});

Deno.test("an unknown option is an error when it looks like a slip, else a warning", () => {
  const { errors, warnings } = problemsOf(
    "[schedule/x]\nfunc = ./app.ts#f\nevry = 1\ncron = * * * * *\ngreeting = hello\n",
    "schedule/x",
  );
  assert.deepEqual(errors, [
    "bad.conf:3: [schedule/x] evry: unknown option; did you mean 'every'?",
  ]);
  assert.deepEqual(warnings, [
    "bad.conf:5: [schedule/x] greeting: unknown option (aio does not read it; a module may)",
  ]);
});

Deno.test("an empty func and an interpolation error are reported with the others", () => {
  const { errors } = problemsOf(
    "[schedule/x]\nfunc =\ncb = ${missing}\nevery = 0\n",
    "schedule/x",
  );
  assert.equal(errors.length, 3);
  assert.equal(
    errors[0],
    "bad.conf:2: [schedule/x] func: is empty; it should name SPECIFIER#EXPORT",
  );
  assert.match(errors[1], /^bad\.conf:3: .*missing/i);
  assert.match(errors[2], /^bad\.conf:4: \[schedule\/x\] every:/);
});
