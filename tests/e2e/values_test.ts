// What the user sees of a bad value: one line in the one shape, at the line
// they can fix, once; numbers the runtime cannot hold refused when read;
// the CLI's own slips said in one line that names what was wrong.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { CliProcess, type CliResult, runCli, tempApp } from "./_cli.ts";

/** `aio check` of `config` (and `files`) in a temporary app; the directory is removed after. */
async function check(
  config: string,
  files: Record<string, string> = {},
  args: string[] = [],
): Promise<CliResult> {
  return await inApp(
    config,
    files,
    (cwd) => runCli(["check", ...args], { cwd }),
  );
}

async function inApp<T>(
  config: string,
  files: Record<string, string>,
  fn: (dir: string) => Promise<T>,
): Promise<T> {
  const dir = await tempApp(config, files);
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The `aio: config error:` lines of a result. */
function configErrors(result: CliResult): string[] {
  return result.stderr.trimEnd().split("\n").filter((line) =>
    line.startsWith("aio: config error: ")
  ).map((line) => line.slice("aio: config error: ".length));
}

const APP = {
  "app.ts": [
    "export function f() {}",
    "export function hang() { return new Promise(() => {}); }",
    "export class P {}",
    "",
  ].join("\n"),
};

Deno.test("a broken reference is reported in the one shape, at the value that holds it, in every section", async () => {
  const result = await check(
    [
      "[aio]",
      "shutdown_timeout = ${x:y}",
      "[listen/a]",
      "usr1 = ${nope}",
      "[aio/commands]",
      "hello = ${nope}",
      "[schedule/a]",
      "func = ${nope}",
      "every = 1",
      "",
    ].join("\n"),
    APP,
  );
  equal(result.code, 78, result.stderr);
  deepEqual(configErrors(result), [
    "aio.conf:2: [aio] shutdown_timeout: Bad value substitution: option 'shutdown_timeout' in section 'aio' refers to 'x:y', which is not defined",
    "aio.conf:4: [listen/a] usr1: Bad value substitution: option 'usr1' in section 'listen/a' refers to 'nope', which is not defined",
    "aio.conf:6: [aio/commands] hello: Bad value substitution: option 'hello' in section 'aio/commands' refers to 'nope', which is not defined",
    "aio.conf:8: [schedule/a] func: Bad value substitution: option 'func' in section 'schedule/a' refers to 'nope', which is not defined",
  ]);
});

Deno.test("a broken reference in [aio] modules is one config error, not a crash of the check", async () => {
  const result = await check("[aio]\nmodules = ${nope}\n");
  equal(result.code, 78, result.stderr);
  match(result.stdout, /^aio: read aio\.conf\n/);
  deepEqual(configErrors(result), [
    "aio.conf:2: [aio] modules: Bad value substitution: option 'modules' in section 'aio' refers to 'nope', which is not defined",
  ]);
});

Deno.test("a bad [aio] log_level, log_handlers or log_file is reported once, at the user's line, as that option", async () => {
  const cases: [string, string][] = [
    [
      "log_level = ${nope}",
      "aio.conf:2: [aio] log_level: Bad value substitution: option 'log_level' in section 'aio' refers to 'nope', which is not defined",
    ],
    [
      "log_level = LOUD",
      "aio.conf:2: [aio] log_level: unknown level 'LOUD': use DEBUG, INFO, WARNING, ERROR, CRITICAL or NOTSET",
    ],
    [
      "log_handlers = consoleHandler, nothere",
      "aio.conf:2: [aio] log_handlers: handler 'nothere' is not defined: add a [handler_nothere] section",
    ],
    [
      "log_handlers = fileHandler\nlog_file = ${nope}",
      "aio.conf:3: [aio] log_file: Bad value substitution: option 'log_file' in section 'aio' refers to 'nope', which is not defined",
    ],
  ];
  for (const [lines, expected] of cases) {
    const result = await check(`[aio]\n${lines}\n`);
    equal(result.code, 78, result.stderr);
    deepEqual(configErrors(result), [expected], lines);
  }
});

Deno.test("a log file that cannot be opened is reported as [aio] log_file, at its line, by check and by run", async () => {
  // A directory where the file should be: aio check finds it without
  // creating anything.
  const checked = await check(
    "[aio]\nlog_handlers = fileHandler\nlog_file = logs\n",
    { "logs/keep": "" },
  );
  equal(checked.code, 78, checked.stderr);
  deepEqual(configErrors(checked), [
    "aio.conf:3: [aio] log_file: cannot open log file 'logs': Is a directory: open 'logs'",
  ]);
  // /proc takes no new directories, not even from root: only opening the
  // file finds that out.
  await inApp(
    "[aio]\nlog_handlers = fileHandler\nlog_file = /proc/nope/x.log\n",
    {},
    async (cwd) => {
      const run = await runCli(["run"], { cwd });
      equal(run.code, 78, run.stderr);
      const errors = configErrors(run);
      equal(errors.length, 1, run.stderr);
      match(
        errors[0],
        /^aio\.conf:3: \[aio\] log_file: cannot open log file '\/proc\/nope\/x\.log': /,
      );
    },
  );
});

Deno.test("durations and counts past what the runtime holds, or below 1 ms where they are waits, are config errors", async () => {
  const result = await check(
    [
      "[aio]",
      "shutdown_timeout = 3000000",
      "[schedule/tick]",
      "func = ./app.ts#f",
      "every = 1",
      "jitter = 1e300",
      "timeout = 1e-9",
      "[schedule/often]",
      "func = ./app.ts#f",
      "every = 1",
      "jitter = 5",
      "[schedule/seven]",
      "func = ./app.ts#f",
      "cron = 0 0 0 * * * 2030",
      "[server/s]",
      "protocol = ./app.ts#P",
      "port = 0",
      "idle_timeout = 1e-9",
      "max_connections = 99999999999999999999",
      "",
    ].join("\n"),
    APP,
  );
  equal(result.code, 78, result.stderr);
  deepEqual(configErrors(result), [
    'aio.conf:2: [aio] shutdown_timeout: must be a number of seconds from 0 to 86400, not "3000000"',
    'aio.conf:6: [schedule/tick] jitter: must be a number of seconds from 0 to 2147483, not "1e300"',
    'aio.conf:7: [schedule/tick] timeout: must be a number of seconds from 0.001 to 1e12, not "1e-9"',
    'aio.conf:11: [schedule/often] jitter: must be at most every (1 s): a run is delayed within its period, not "5"',
    "aio.conf:14: [schedule/seven] cron: must have 5 fields, or 6 with seconds first, not 7",
    'aio.conf:18: [server/s] idle_timeout: must be a number of seconds from 0.001 to 31536000, not "1e-9"',
    'aio.conf:19: [server/s] max_connections: must be a whole number from 1 to 2147483647, not "99999999999999999999"',
  ]);
});

Deno.test("the bounds themselves are accepted", async () => {
  const result = await check(
    [
      "[aio]",
      "shutdown_timeout = 86400",
      "[schedule/tick]",
      "func = ./app.ts#f",
      "every = 1",
      "jitter = 1",
      "timeout = 0.001",
      "[server/s]",
      "protocol = ./app.ts#P",
      "port = 0",
      "idle_timeout = 0.001",
      "max_connections = 2147483647",
      "",
    ].join("\n"),
    APP,
  );
  equal(result.code, 0, result.stderr);
});

Deno.test("a run cut at its timeout is one log line, without a stack", async () => {
  await inApp(
    "[schedule/tick]\nfunc = ./app.ts#hang\nevery = 0.1\ntimeout = 0.02\n",
    APP,
    async (cwd) => {
      const aio = new CliProcess(["run"], { cwd });
      try {
        await aio.waitFor(/timed out after 0\.02 s[\s\S]*timed out after/);
      } finally {
        aio.kill("SIGTERM");
      }
      const { stderr } = await aio.done();
      const timeouts = stderr.split("\n").filter((line) =>
        line.includes("timed out")
      );
      ok(timeouts.length >= 2, stderr);
      for (const line of timeouts) {
        match(
          line,
          /ERROR\(aio\.schedule\): Schedule tick \(aio\.conf:1\) timed out after 0\.02 s$/,
        );
      }
      ok(!/^\s+at /m.test(stderr), stderr);
    },
  );
});

Deno.test("SECONDS arguments past what a timer holds are usage errors naming the option", async () => {
  await inApp("", {}, async (cwd) => {
    const cases: [string[], string][] = [
      [
        ["run", "-d", "--start-timeout", "2147484"],
        "aio: error: run: argument --start-timeout: expected seconds (0.001 to 2147483), got '2147484'",
      ],
      [
        ["stop", "--timeout", "1e10"],
        "aio: error: stop: argument --timeout: expected seconds (0 to 2147483), got '1e10'",
      ],
      [
        ["reload", "--timeout", "0"],
        "aio: error: reload: argument --timeout: expected seconds (0.001 to 2147483), got '0'",
      ],
    ];
    for (const [args, expected] of cases) {
      const result = await runCli(args, { cwd });
      equal(result.code, 2, result.stderr);
      equal(result.stderr.trimEnd().split("\n").at(-1), expected);
    }
  });
});

Deno.test("--log-level WARN suggests WARNING", async () => {
  const result = await runCli(["--log-level", "WARN", "check"]);
  equal(result.code, 2);
  match(
    result.stderr,
    /^aio: error: argument --log-level: invalid choice: 'WARN' \(did you mean 'WARNING'\?\)$/m,
  );
});

Deno.test("aio check counts the modules the config lists, not aio's own", async () => {
  const none = await check("[aio]\n");
  equal(none.code, 0, none.stderr);
  match(none.stdout, /config OK: 0 module\(s\), /);
  const one = await check("[aio]\nmodules = ./app.ts\n", APP);
  equal(one.code, 0, one.stderr);
  match(one.stdout, /config OK: 1 module\(s\), /);
});

Deno.test("a bare specifier the import map lacks names the config line and the import map, not aio's files", async () => {
  const result = await check("[aio]\nmodules = nowhere-mapped\n");
  equal(result.code, 78, result.stderr);
  deepEqual(configErrors(result), [
    `aio.conf:2: [aio] modules: Cannot load module 'nowhere-mapped': a bare specifier needs an entry in the app's import map ("imports" in the deno.json beside or above the config), and it has none`,
  ]);
});

Deno.test("pidfile slips are one line naming the pidfile", async () => {
  await inApp(
    "",
    { "junk.pid": "junk\n", "var/dir.pid/x": "" },
    async (cwd) => {
      const junk = await runCli(["status", "--pidfile", "junk.pid"], { cwd });
      equal(junk.code, 1, junk.stderr);
      equal(
        junk.stdout,
        "aio: not running (junk.pid is stale: it names no pid, and no process holds its lock)\n",
      );
      for (const command of ["status", "stop", "reload"]) {
        const dir = await runCli([command, "--pidfile", "var/dir.pid"], {
          cwd,
        });
        equal(dir.code, 1, dir.stderr);
        equal(
          dir.stderr,
          "aio: error: cannot read the pidfile var/dir.pid: it is a directory\n",
          command,
        );
      }
    },
  );
});
