// A broken config cannot keep anyone from stopping aio (SPEC 10): after
// `aio run -d`, the config gets a line that does not parse, or a bad
// value; `aio status`, `aio reload` and `aio stop` print one warning line
// naming the problem and act on the daemon all the same. `aio reload` still
// signals it: the daemon reports the problem and runs on, and the command
// exits 78 with that problem.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { runCli, tempApp } from "./_cli.ts";
import { alive, processesWith, waitUntil } from "./_processes.ts";

// The pidfile is not the default: only a config read as far as it parses
// finds this daemon.
const APP = `[aio]
shutdown_timeout = 2
pidfile = run/aio.pid
`;

const BAD_LINE =
  `aio.conf:4: Cannot parse line, expected "[section]", "key = value" or "key: value": "bad line"`;

/** Starts the daemon in a new app directory; returns the directory and the daemon's pid. */
async function startDaemon(): Promise<{ dir: string; pid: number }> {
  const dir = await tempApp(APP);
  const started = await runCli(["run", "-d"], { cwd: dir });
  equal(started.code, 0, started.stderr);
  const pid = Number(
    (await Deno.readTextFile(`${dir}/run/aio.pid`)).trim(),
  );
  return { dir, pid };
}

/** Kills whatever daemon still runs for `dir` and removes it. */
async function cleanUp(dir: string): Promise<void> {
  for (const pid of processesWith(`${dir}/aio.conf`)) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // Gone.
    }
  }
  await waitUntil(
    () => processesWith(`${dir}/aio.conf`).length === 0,
    "no daemon left",
  );
  await Deno.remove(dir, { recursive: true });
}

/** stderr's lines, without the empty last one. */
function lines(text: string): string[] {
  return text.split("\n").filter((line) => line !== "");
}

Deno.test("a config that does not parse: status, reload and stop warn in one line and act on the daemon", async () => {
  const { dir, pid } = await startDaemon();
  try {
    await Deno.writeTextFile(`${dir}/aio.conf`, "bad line\n", { append: true });

    const status = await runCli(["status"], { cwd: dir });
    equal(status.code, 0, status.stderr);
    match(status.stdout, new RegExp(`^aio: running, pid ${pid}, `));
    deepEqual(lines(status.stderr), [
      `aio: warning: ${BAD_LINE}; going on with pidfile run/aio.pid`,
    ]);

    const reload = await runCli(["reload"], { cwd: dir });
    equal(reload.code, 78, reload.stderr);
    equal(reload.stdout, "");
    // The daemon's own report (it reads its config by its absolute path);
    // the warning would only say it again.
    deepEqual(lines(reload.stderr), [`aio: config error: ${dir}/${BAD_LINE}`]);
    ok(alive(pid), "the daemon runs on after the failed reload");
    const outcome = JSON.parse(
      await Deno.readTextFile(`${dir}/run/aio.pid.reload.json`),
    );
    deepEqual(
      [outcome.pid, outcome.seq, outcome.outcome, outcome.errors],
      [pid, 1, "failed", [`${dir}/${BAD_LINE}`]],
    );

    const stop = await runCli(["stop"], { cwd: dir });
    equal(stop.code, 0, stop.stderr);
    deepEqual(lines(stop.stderr), [
      `aio: warning: ${BAD_LINE}; going on with pidfile run/aio.pid and shutdown_timeout 2 s`,
    ]);
    match(stop.stdout, new RegExp(`^aio: stopped pid ${pid} in `, "m"));
    ok(!alive(pid), "the daemon has exited");

    // Nothing runs: the warning, then why nothing was signalled.
    const none = await runCli(["reload"], { cwd: dir });
    equal(none.code, 1, none.stderr);
    deepEqual(lines(none.stderr), [
      `aio: warning: ${BAD_LINE}; going on with pidfile run/aio.pid and shutdown_timeout 2 s`,
      "aio: error: not running (no pidfile at run/aio.pid)",
    ]);
  } finally {
    await cleanUp(dir);
  }
});

Deno.test("with --pidfile (and --timeout) given, only what is still read from the config is warned about", async () => {
  const { dir, pid } = await startDaemon();
  try {
    await Deno.writeTextFile(
      `${dir}/aio.conf`,
      APP.replace("shutdown_timeout = 2", "shutdown_timeout = soon"),
    );
    const timeoutProblem =
      `aio.conf:2: [aio] shutdown_timeout: must be a number of seconds from 0 to 86400, not "soon"`;

    // status needs no shutdown_timeout: nothing to say.
    const status = await runCli(["status", "--pidfile", "run/aio.pid"], {
      cwd: dir,
    });
    equal(status.code, 0, status.stderr);
    equal(status.stderr, "");
    // Without --pidfile, the config's (good) pidfile is still taken.
    const plain = await runCli(["status"], { cwd: dir });
    equal(plain.code, 0, plain.stderr);
    equal(plain.stderr, "");

    // Everything given: the config is not read at all (the daemon, which
    // reads it, reports the problem).
    await Deno.writeTextFile(`${dir}/aio.conf`, "bad line\n", { append: true });
    const both = await runCli(
      ["reload", "--pidfile", "run/aio.pid", "--timeout", "20"],
      { cwd: dir },
    );
    equal(both.code, 78, both.stderr);
    deepEqual(lines(both.stderr), [`aio: config error: ${dir}/${BAD_LINE}`]);

    await Deno.writeTextFile(
      `${dir}/aio.conf`,
      APP.replace("shutdown_timeout = 2", "shutdown_timeout = soon"),
    );
    const stop = await runCli(["stop", "--pidfile", "run/aio.pid"], {
      cwd: dir,
    });
    equal(stop.code, 0, stop.stderr);
    deepEqual(lines(stop.stderr), [
      `aio: warning: ${timeoutProblem}; going on with shutdown_timeout 10 s`,
    ]);
    match(stop.stdout, /waiting up to 13 s/);
    ok(!alive(pid), "the daemon has exited");
  } finally {
    await cleanUp(dir);
  }
});

Deno.test("a config file named with -c that does not exist is still an error: it names nothing to act on", async () => {
  const dir = await tempApp(APP);
  try {
    for (const command of ["status", "stop", "reload"]) {
      const result = await runCli(["-c", "nope.conf", command], { cwd: dir });
      equal(result.code, 78, result.stderr);
      equal(
        result.stderr,
        "aio: config error: nope.conf: Cannot read config file: no such file\n",
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
