// Commands that only read write nothing: with log files configured (the
// built-in fileHandler and a RotatingFileHandler in a directory that does
// not exist), `aio check` (passing or failing), `aio permissions`, `aio
// unit`, `aio config` and `aio help` leave the app's directory exactly as
// it was, whether the log files exist or not; their own log lines go to the
// console. `aio check` still reports a log file `aio run` could not open,
// at its line, and `aio run` still opens the files.
import { deepEqual, equal, match } from "node:assert/strict";
import { CliProcess, runCli, tempApp } from "./_cli.ts";

const MOD = new URL("../../mod.ts", import.meta.url).pathname;

const CONFIG = `[aio]
log_handlers = consoleHandler, fileHandler, rotating
log_file = var/log/app.log
modules = ./app.ts

[aio/commands]
hello = ./app.ts#hello

[handler_rotating]
class = handlers.RotatingFileHandler
args = ("logs/deep/rotating.log", "a", 100000, 3)
formatter = simpleFormatter
`;

const APP = `import { getLogger } from "${MOD}";
getLogger("aio.mark").info("imported");
export function hello() {
  console.log("hello");
}
hello.description = "Say hello";
`;

/** Every entry under `dir`: its path, kind, size and modification time. */
async function tree(dir: string, prefix = ""): Promise<string[]> {
  const entries: string[] = [];
  for await (const entry of Deno.readDir(`${dir}/${prefix}`)) {
    const path = `${prefix}${entry.name}`;
    const info = await Deno.lstat(`${dir}/${path}`);
    const kind = info.isDirectory ? "dir" : info.isFile ? "file" : "other";
    entries.push(`${path} ${kind} ${info.size} ${info.mtime?.getTime()}`);
    if (info.isDirectory) entries.push(...await tree(dir, `${path}/`));
  }
  return entries.sort();
}

/** Each read-only command, its arguments and the exit code it must give. */
const COMMANDS: [string[], number][] = [
  [["check"], 0],
  [["-c", "bad.conf", "check"], 78],
  [["permissions"], 0],
  [["permissions", "-d"], 0],
  [["unit"], 0],
  [["config"], 0],
  [["config", "-g", "aio:log_file"], 0],
  [["help"], 0],
  [["help", "hello"], 0],
];

async function assertNothingWritten(dir: string): Promise<void> {
  for (const [args, code] of COMMANDS) {
    const before = await tree(dir);
    const result = await runCli(args, { cwd: dir });
    equal(result.code, code, `aio ${args.join(" ")}: ${result.stderr}`);
    deepEqual(await tree(dir), before, `aio ${args.join(" ")} wrote`);
  }
}

Deno.test("aio check, permissions, unit, config and help create no log file and no directory", async () => {
  const dir = await tempApp(CONFIG, {
    "app.ts": APP,
    "bad.conf": CONFIG.replace("[aio]\n", "[aio]\nshutdown_timeout = soon\n"),
  });
  try {
    await assertNothingWritten(dir);
    // The module's log line went to the console handler.
    const check = await runCli(["check"], { cwd: dir });
    match(check.stderr, /INFO\(aio\.mark\): imported/);
    const failing = await runCli(["-c", "bad.conf", "check"], { cwd: dir });
    match(
      failing.stderr,
      /^aio: config error: bad\.conf:2: \[aio\] shutdown_timeout: /m,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("log files that exist are left as they were: bytes, size and times", async () => {
  const dir = await tempApp(CONFIG, {
    "app.ts": APP,
    "bad.conf": CONFIG.replace("[aio]\n", "[aio]\nshutdown_timeout = soon\n"),
    "var/log/app.log": "an old line\n",
    "logs/deep/rotating.log": "another old line\n",
  });
  try {
    // Times in the past, so a write now would show.
    const past = new Date(Date.now() - 3600_000);
    for (const file of ["var/log/app.log", "logs/deep/rotating.log"]) {
      await Deno.utime(`${dir}/${file}`, past, past);
    }
    await assertNothingWritten(dir);
    equal(await Deno.readTextFile(`${dir}/var/log/app.log`), "an old line\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("aio check reports a log file aio run could not open, at its line, creating nothing", async () => {
  const cases: [Record<string, string>, string][] = [
    [
      // A directory where the log file should be: opening it would fail.
      { "var/log/app.log/keep": "" },
      "aio.conf:3: [aio] log_file: cannot open log file 'var/log/app.log': Is a directory: open 'var/log/app.log'",
    ],
    [
      // A file where the rotating handler's directory should be.
      { "logs": "not a directory\n" },
      "aio.conf:11: [handler_rotating] args: cannot create the directory of log file 'logs/deep/rotating.log': 'logs' is not a directory",
    ],
  ];
  for (const [files, error] of cases) {
    const dir = await tempApp(CONFIG, { "app.ts": APP, ...files });
    try {
      const before = await tree(dir);
      const result = await runCli(["check"], { cwd: dir });
      equal(result.code, 78, result.stderr);
      deepEqual(
        result.stderr.split("\n").filter((line) => line.startsWith("aio: ")),
        [`aio: config error: ${error}`],
      );
      deepEqual(await tree(dir), before);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

Deno.test("aio run still opens the log files and writes to them", async () => {
  const dir = await tempApp(CONFIG, { "app.ts": APP });
  const aio = new CliProcess(["run"], { cwd: dir });
  try {
    await aio.waitFor(/Started: /);
  } finally {
    aio.kill("SIGTERM");
  }
  const result = await aio.done();
  equal(result.code, 0, result.stderr);
  for (const file of ["var/log/app.log", "logs/deep/rotating.log"]) {
    match(
      await Deno.readTextFile(`${dir}/${file}`),
      /INFO\(aio\.mark\): imported\n[\s\S]*Started: /,
      file,
    );
  }
  await Deno.remove(dir, { recursive: true });
});
