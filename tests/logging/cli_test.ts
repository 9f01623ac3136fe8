// Log files under the real CLI: SIGHUP and SIGUSR1, rotation while lines
// keep coming, a full disk, the built-in fileHandler, logging.conf.
import assert from "node:assert/strict";
import { join } from "node:path";
import { CliProcess, runCli } from "../e2e/_cli.ts";

const MOD = new URL("../../mod.ts", import.meta.url).href;

/** A temp app whose schedule logs `tick N` every `every` seconds. */
async function tickingApp(config: string, every = 0.002): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "aio_log_cli_" });
  await Deno.writeTextFile(
    join(dir, "ticker.ts"),
    `import { getLogger } from ${JSON.stringify(MOD)};
const logger = getLogger("aio.tick");
let n = 0;
export function tick() {
  logger.info("tick {n}", { n: ++n });
}
`,
  );
  await Deno.writeTextFile(
    join(dir, "aio.conf"),
    `[schedule/tick]
func = ./ticker.ts#tick
every = ${every}

${config}`,
  );
  return dir;
}

function fileHandler(className: string, path: string): string {
  return `[aio]
log_handlers = consoleHandler, file

[handler_file]
class = ${className}
args = (${JSON.stringify(path)},)
formatter = plain

[formatter_plain]
format = %(message)s
`;
}

function ticksIn(path: string): number[] {
  let text = "";
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return [...text.matchAll(/^tick (\d+)$/gm)].map((match) => Number(match[1]));
}

/** Polls `check` every 20 ms until it holds, failing after `ms`. */
async function until(what: string, check: () => boolean, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Makes sure the process is gone (it usually is already). */
async function ended(aio: CliProcess) {
  try {
    aio.kill("SIGKILL");
  } catch {
    // Already exited.
  }
  await aio.done().catch(() => {});
}

/** Every tick from 1 to the last, once, across the files in order. */
function assertContiguous(parts: number[][]) {
  const all = parts.flat();
  assert.ok(all.length > 0);
  assert.deepEqual(all, Array.from({ length: all.length }, (_, i) => i + 1));
}

async function rotationLosesNothing(
  className: string,
  signal: Deno.Signal | undefined,
) {
  const dir = await Deno.makeTempDir({ prefix: "aio_log_cli_" });
  const path = join(dir, "app.log");
  const app = await tickingApp(fileHandler(className, path));
  const aio = new CliProcess(["run"], { cwd: app });
  try {
    await until("50 ticks", () => ticksIn(path).length >= 50);
    Deno.renameSync(path, `${path}.1`);
    if (signal) aio.kill(signal);
    await until("50 ticks in the new file", () => ticksIn(path).length >= 50);
    aio.kill("SIGTERM");
    const result = await aio.done();
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /Stopped/);
    const moved = ticksIn(`${path}.1`);
    const current = ticksIn(path);
    assertContiguous([moved, current]);
    return { moved: moved.length, current: current.length };
  } finally {
    await ended(aio);
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(app, { recursive: true });
  }
}

Deno.test("mv app.log app.log.1 + SIGUSR1 while lines keep coming: 0 lost, 0 doubled", async () => {
  await rotationLosesNothing("FileHandler", "SIGUSR1");
});

Deno.test("mv app.log app.log.1 + SIGHUP: reopens the log, and aio keeps running", async () => {
  await rotationLosesNothing("FileHandler", "SIGHUP");
});

Deno.test("WatchedFileHandler follows mv without a signal: 0 lost, 0 doubled", async () => {
  await rotationLosesNothing("handlers.WatchedFileHandler", undefined);
});

Deno.test("SIGHUP and SIGUSR1 never kill aio, logging to files or not", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aio_log_cli_" });
  await Deno.writeTextFile(
    join(dir, "aio.conf"),
    "[aio]\nlog_handlers = consoleHandler, fileHandler\n",
  );
  const aio = new CliProcess(["run"], { cwd: dir });
  try {
    await aio.waitFor(/Started/);
    for (let round = 0; round < 3; round++) {
      aio.kill("SIGHUP");
      aio.kill("SIGUSR1");
    }
    // A built-in fileHandler line written after the signals proves the
    // process lived through them (and reopened var/log/app.log).
    Deno.removeSync(join(dir, "var/log/app.log"));
    aio.kill("SIGHUP");
    await until(
      "var/log/app.log again",
      () => {
        try {
          return Deno.statSync(join(dir, "var/log/app.log")).isFile;
        } catch {
          return false;
        }
      },
    );
    aio.kill("SIGTERM");
    const result = await aio.done();
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /Stopped/);
    assert.match(
      Deno.readTextFileSync(join(dir, "var/log/app.log")),
      /INFO\(aio\.app\): Stopped/,
    );
  } finally {
    await ended(aio);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a full disk under the log: one line on stderr, aio keeps running, exit 0 on SIGTERM", async () => {
  const app = await tickingApp(`[aio]
log_handlers = full

[handler_full]
class = FileHandler
args = ("/dev/full", "a")
`);
  const aio = new CliProcess(["run"], { cwd: app });
  try {
    await aio.waitFor(/cannot write log file/);
    // About a second of records every 2 ms into /dev/full.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    aio.kill("SIGTERM");
    const result = await aio.done();
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stderr.split("\n").filter(Boolean);
    assert.deepEqual(
      lines.filter((line) => /cannot write log file/.test(line)),
      [
        "aio: error: cannot write log file /dev/full: No space left on device (further errors suppressed for 60 s)",
      ],
    );
    // At exit, what was kept and never written is said once.
    const never = lines.filter((line) => /never written/.test(line));
    assert.equal(never.length, 1, result.stderr);
    assert.match(
      never[0],
      /^aio: error: \d+ log record\(s\) were never written to \/dev\/full$/,
    );
    assert.equal(lines.length, 2, result.stderr);
  } finally {
    await ended(aio);
    await Deno.remove(app, { recursive: true });
  }
});

Deno.test("log_handlers = consoleHandler, fileHandler works out of the box; aio check agrees", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aio_log_cli_" });
  try {
    await Deno.writeTextFile(
      join(dir, "aio.conf"),
      "[aio]\nlog_handlers = consoleHandler, fileHandler\nlog_file = logs/app/aio-app.log\n",
    );
    const check = await runCli(["check"], { cwd: dir });
    assert.equal(check.code, 0, check.stderr);
    const aio = new CliProcess(["run"], { cwd: dir });
    await aio.waitFor(/Started/);
    aio.kill("SIGTERM");
    const result = await aio.done();
    assert.equal(result.code, 0, result.stderr);
    const logged = Deno.readTextFileSync(join(dir, "logs/app/aio-app.log"));
    assert.match(logged, /^\d{4}-\d\d-\d\d .* INFO\(aio\.app\): Started/m);
    assert.match(logged, /INFO\(aio\.app\): Stopped/);
    assert.equal(
      Deno.statSync(join(dir, "logs/app/aio-app.log")).mode! & 0o777,
      0o644,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("logging.conf in the working directory: run uses it, check reports its errors at its lines", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aio_log_cli_" });
  try {
    await Deno.writeTextFile(join(dir, "aio.conf"), "[aio]\n");
    await Deno.writeTextFile(
      join(dir, "logging.conf"),
      "[logger_root]\nhandlers = consoleHandler, fileHandler\n\n[aio]\nlog_file = from-logging-conf.log\n",
    );
    const aio = new CliProcess(["run"], { cwd: dir });
    await aio.waitFor(/Started/);
    aio.kill("SIGTERM");
    const result = await aio.done();
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      Deno.readTextFileSync(join(dir, "from-logging-conf.log")),
      /Started/,
    );
    // `aio config` shows the app's config, not logging.conf.
    const dump = await runCli(["config", "-g", "aio:log_file"], { cwd: dir });
    assert.equal(dump.stdout.trim(), "var/log/app.log");

    await Deno.writeTextFile(
      join(dir, "logging.conf"),
      "[logger_root]\nlevel = SHOUTY\n",
    );
    const check = await runCli(["check"], { cwd: dir });
    assert.equal(check.code, 78);
    assert.match(check.stdout, /^aio: read aio\.conf, logging\.conf$/m);
    assert.match(
      check.stderr,
      /^aio: config error: logging\.conf:2: \[logger_root\] level: unknown level 'SHOUTY'/m,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a daemon (run -d) lives through SIGHUP, reopens its log file, and stops cleanly on SIGTERM", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aio_log_cli_" });
  const appLog = join(dir, "var/log/app.log");
  const isFile = (path: string) => {
    try {
      return Deno.statSync(path).isFile;
    } catch {
      return false;
    }
  };
  let pid = 0;
  try {
    await Deno.writeTextFile(
      join(dir, "aio.conf"),
      "[aio]\nlog_handlers = consoleHandler, fileHandler\n",
    );
    const started = await runCli(["run", "-d"], { cwd: dir });
    assert.equal(started.code, 0, started.stderr);
    pid = Number(Deno.readTextFileSync(join(dir, "var/run/aio.pid")).trim());
    await until("the daemon to start", () => fileMatches(appLog, /Started/));
    Deno.renameSync(appLog, `${appLog}.1`);
    Deno.kill(pid, "SIGHUP");
    await until("var/log/app.log again", () => isFile(appLog));
    Deno.kill(pid, "SIGTERM");
    await until(
      "the pidfile to go",
      () => !isFile(join(dir, "var/run/aio.pid")),
    );
    pid = 0;
    assert.match(Deno.readTextFileSync(appLog), /INFO\(aio\.app\): Stopped/);
    assert.match(
      Deno.readTextFileSync(join(dir, "var/log/aio.log")),
      /Stopped/,
    );
  } finally {
    if (pid) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    await Deno.remove(dir, { recursive: true });
  }
});

function fileMatches(path: string, pattern: RegExp): boolean {
  try {
    return pattern.test(Deno.readTextFileSync(path));
  } catch {
    return false;
  }
}

Deno.test("a log file that cannot be opened is a config error of run and check, at the line of args", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aio_log_cli_" });
  try {
    await Deno.mkdir(join(dir, "taken.log"));
    await Deno.writeTextFile(
      join(dir, "aio.conf"),
      `[aio]\nlog_handlers = file\n\n[handler_file]\nclass = FileHandler\nargs = ("taken.log",)\n`,
    );
    for (const command of ["check", "run"]) {
      const result = await runCli([command], { cwd: dir });
      assert.equal(result.code, 78, `${command}: ${result.stderr}`);
      assert.match(
        result.stderr,
        /^aio: config error: aio\.conf:6: \[handler_file\] args: cannot open log file 'taken\.log': Is a directory/m,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
