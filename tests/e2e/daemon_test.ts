// `aio run -d`, `aio stop` and `aio status` through the real CLI (SPEC 10;
// issue 12 items 2, 3 and 4): the launcher validates first and returns
// only once the daemon has started or failed; one daemon per pidfile
// however many start at once; stop and status act on the lock's holder.
import { equal, match, ok } from "node:assert/strict";
import { CliProcess, runCli, tempApp } from "./_cli.ts";
import { alive, processesWith, waitUntil } from "./_processes.ts";

const LISTENERS = `
export function stopped() { console.error("MARK aio-stopped"); }
export function hang() { return new Promise(() => {}); }
export async function slowFactory() {
  await new Promise((r) => setTimeout(r, 30_000));
  return { close() {} };
}
`;

const APP = `[aio]
shutdown_timeout = 2

[listen/marks]
aio-stopped = ./marks.ts#stopped
`;

async function daemonApp(config = APP, files: Record<string, string> = {}) {
  return await tempApp(config, { "marks.ts": LISTENERS, ...files });
}

async function readPid(path: string): Promise<number> {
  return Number((await Deno.readTextFile(path)).trim());
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Stops whatever daemon still runs for `dir` (a failed test must not leave one). */
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
}

Deno.test("run -d with a bad config prints every config error and exits 78, spawning nothing", async () => {
  const dir = await daemonApp(
    `[aio]\nshutdown_timeout = soon\nmodules = ./nope.ts\n`,
  );
  const result = await runCli(["run", "-d"], { cwd: dir });
  equal(result.code, 78, result.stderr);
  const lines = result.stderr.trim().split("\n");
  equal(lines.length, 2, result.stderr);
  match(lines[0], /^aio: config error: aio\.conf:2: \[aio\] shutdown_timeout/);
  match(lines[1], /^aio: config error: aio\.conf:3: \[aio\] modules/);
  ok(!await exists(`${dir}/var/run/aio.pid`), "no pidfile");
  ok(!await exists(`${dir}/var/log/aio.log`), "no daemon log: nothing spawned");
});

Deno.test("run -d returns once started; status says so; stop stops it; then both say nothing runs", async () => {
  const dir = await daemonApp();
  try {
    const started = await runCli(["run", "-d"], { cwd: dir });
    equal(started.code, 0, started.stderr);
    const pid = await readPid(`${dir}/var/run/aio.pid`);
    equal(
      started.stdout.trim(),
      `aio: started in the background: pid ${pid}, pidfile var/run/aio.pid, output in var/log/aio.log`,
    );
    // Exit 0 means aio-started has been emitted: the log says Started.
    match(await Deno.readTextFile(`${dir}/var/log/aio.log`), /Started/);

    const status = await runCli(["status"], { cwd: dir });
    equal(status.code, 0, status.stderr);
    match(
      status.stdout,
      new RegExp(
        `^aio: running, pid ${pid}, up \\d+s, config ${dir}/aio\\.conf \\(var/run/aio\\.pid\\)$`,
        "m",
      ),
    );

    const second = await runCli(["run", "-d"], { cwd: dir });
    equal(second.code, 1);
    equal(
      second.stderr.trim(),
      `aio: error: already running as pid ${pid} (var/run/aio.pid)`,
    );

    const stopped = await runCli(["stop"], { cwd: dir });
    equal(stopped.code, 0, stopped.stderr);
    match(stopped.stdout, new RegExp(`aio: stopped pid ${pid} in `));
    ok(!alive(pid), "the daemon has exited when stop returns");
    ok(!await exists(`${dir}/var/run/aio.pid`), "the pidfile is removed");
    match(
      await Deno.readTextFile(`${dir}/var/log/aio.log`),
      /MARK aio-stopped/,
    );

    const after = await runCli(["status"], { cwd: dir });
    equal(after.code, 3);
    equal(
      after.stdout.trim(),
      "aio: not running (no pidfile at var/run/aio.pid)",
    );
    const again = await runCli(["stop"], { cwd: dir });
    equal(again.code, 1);
    equal(
      again.stderr.trim(),
      "aio: error: not running (no pidfile at var/run/aio.pid)",
    );
  } finally {
    await cleanUp(dir);
  }
});

Deno.test("run -d relays a daemon that fails to start: its error on stderr, its exit code, no process left", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const dir = await daemonApp(`[server/web]
handler = ./marks.ts#stopped
address = 127.0.0.1
port = ${(taken.addr as Deno.NetAddr).port}
`);
  try {
    const result = await runCli(["run", "-d"], { cwd: dir });
    equal(result.code, 1, result.stderr);
    match(
      result.stderr,
      /^aio: error: Cannot start server \[server\/web\] on 127\.0\.0\.1:\d+/m,
    );
    equal(processesWith(`${dir}/aio.conf`).length, 0);
    ok(!await exists(`${dir}/var/run/aio.pid`), "no pidfile left");
  } finally {
    taken.close();
    await cleanUp(dir);
  }
});

Deno.test("8 simultaneous run -d start exactly one daemon; every other launcher names it and leaves nothing", async () => {
  const dir = await daemonApp();
  try {
    const results = await Promise.all(
      Array.from({ length: 8 }, () => runCli(["run", "-d"], { cwd: dir })),
    );
    const winners = results.filter((result) => result.code === 0);
    equal(winners.length, 1, results.map((r) => r.stderr).join("\n"));
    const pid = await readPid(`${dir}/var/run/aio.pid`);
    for (const loser of results.filter((result) => result.code !== 0)) {
      equal(loser.code, 1, loser.stderr);
      match(
        loser.stderr,
        new RegExp(`already running as pid ${pid} \\(var/run/aio\\.pid\\)`),
      );
    }
    // Every launcher has exited; of the daemons they spawned only one is left.
    await waitUntil(
      () => processesWith(`${dir}/aio.conf`).length === 1,
      "one daemon",
    );
    equal(processesWith(`${dir}/aio.conf`)[0], pid);
    const stopped = await runCli(["stop"], { cwd: dir });
    equal(stopped.code, 0, stopped.stderr);
    equal(processesWith(`${dir}/aio.conf`).length, 0);
  } finally {
    await cleanUp(dir);
  }
});

Deno.test("a stale pidfile is taken over; the live process it names is never signalled", async () => {
  const dir = await daemonApp();
  const bystander = new Deno.Command("sleep", { args: ["60"] }).spawn();
  try {
    await Deno.mkdir(`${dir}/var/run`, { recursive: true });
    await Deno.writeTextFile(`${dir}/var/run/aio.pid`, `${bystander.pid}\n`);
    const status = await runCli(["status"], { cwd: dir });
    equal(status.code, 1);
    match(status.stdout, /is stale: pid \d+ holds no lock on it/);
    const stop = await runCli(["stop"], { cwd: dir });
    equal(stop.code, 1);
    match(
      stop.stderr,
      /^aio: error: not running \(var\/run\/aio\.pid is stale/,
    );
    ok(alive(bystander.pid), "stop did not signal it");

    const started = await runCli(["run", "-d"], { cwd: dir });
    equal(started.code, 0, started.stderr);
    const pid = await readPid(`${dir}/var/run/aio.pid`);
    ok(pid !== bystander.pid);
    ok(alive(bystander.pid), "run -d did not signal it");
    equal((await runCli(["stop"], { cwd: dir })).code, 0);
  } finally {
    bystander.kill("SIGKILL");
    await bystander.status;
    await cleanUp(dir);
  }
});

Deno.test("[aio] pidfile and daemon_log move the files; --pidfile moves the pidfile for run, status and stop", async () => {
  const dir = await daemonApp(
    APP.replace(
      "[aio]\n",
      "[aio]\npidfile = run/app.pid\ndaemon_log = logs/app.log\n",
    ),
  );
  try {
    const started = await runCli(["run", "-d"], { cwd: dir });
    equal(started.code, 0, started.stderr);
    match(started.stdout, /pidfile run\/app\.pid, output in logs\/app\.log/);
    const pid = await readPid(`${dir}/run/app.pid`);
    match(await Deno.readTextFile(`${dir}/logs/app.log`), /Started/);
    equal((await runCli(["status"], { cwd: dir })).code, 0);
    equal((await runCli(["stop"], { cwd: dir })).code, 0);
    ok(!alive(pid));

    const other = await runCli(["run", "-d", "--pidfile", "other.pid"], {
      cwd: dir,
    });
    equal(other.code, 0, other.stderr);
    const otherPid = await readPid(`${dir}/other.pid`);
    equal((await runCli(["status"], { cwd: dir })).code, 3);
    const status = await runCli(["status", "--pidfile", "other.pid"], {
      cwd: dir,
    });
    equal(status.code, 0, status.stderr);
    match(status.stdout, new RegExp(`pid ${otherPid}`));
    equal(
      (await runCli(["stop", "--pidfile", "other.pid"], { cwd: dir })).code,
      0,
    );
    ok(!alive(otherPid));
  } finally {
    await cleanUp(dir);
  }
});

Deno.test("SIGHUP does not kill the daemon", async () => {
  const dir = await daemonApp();
  try {
    equal((await runCli(["run", "-d"], { cwd: dir })).code, 0);
    const pid = await readPid(`${dir}/var/run/aio.pid`);
    Deno.kill(pid, "SIGHUP");
    await waitUntil(
      async () =>
        /SIGHUP: log files reopened/.test(
          await Deno.readTextFile(`${dir}/var/log/aio.log`),
        ),
      "the SIGHUP to be handled",
    );
    ok(alive(pid));
    equal((await runCli(["status"], { cwd: dir })).code, 0);
    equal((await runCli(["stop"], { cwd: dir })).code, 0);
  } finally {
    await cleanUp(dir);
  }
});

Deno.test("run -d stops a daemon that does not start within --start-timeout: exit 1, nothing left", async () => {
  const dir = await daemonApp(`[aio]
shutdown_timeout = 1

[server/slow]
factory = ./marks.ts#slowFactory
address = 127.0.0.1
port = 0
`);
  try {
    const start = performance.now();
    const result = await runCli(["run", "-d", "--start-timeout", "1.5"], {
      cwd: dir,
    });
    const took = (performance.now() - start) / 1000;
    equal(result.code, 1, result.stderr);
    match(result.stderr, /did not start within 1\.5 s; stopping it/);
    match(
      result.stderr,
      /aio: stopped during start-up, while starting server \[server\/slow\]/,
    );
    ok(took < 10, `took ${took} s`);
    equal(processesWith(`${dir}/aio.conf`).length, 0);
    ok(!await exists(`${dir}/var/run/aio.pid`), "no pidfile left");
  } finally {
    await cleanUp(dir);
  }
});

Deno.test("aio stop --timeout gives up on a daemon whose stop outlasts it: exit 1", async () => {
  const dir = await daemonApp(`[aio]
shutdown_timeout = 3

[listen/hang]
aio-stopping = ./marks.ts#hang
`);
  try {
    equal((await runCli(["run", "-d"], { cwd: dir })).code, 0);
    const pid = await readPid(`${dir}/var/run/aio.pid`);
    const result = await runCli(["stop", "--timeout", "0.5"], { cwd: dir });
    equal(result.code, 1);
    equal(
      result.stderr.trim(),
      `aio: error: pid ${pid} is still running after 0.5 s`,
    );
    // Its own bound ends it: shutdown_timeout, then aio-stopped.
    await waitUntil(() => !alive(pid), "the daemon to finish its stop");
  } finally {
    await cleanUp(dir);
  }
});

Deno.test("run --pidfile in the foreground holds the pidfile: a second run is refused, stop stops it", async () => {
  const dir = await daemonApp();
  const foreground = new CliProcess(["run", "--pidfile", "fg.pid"], {
    cwd: dir,
  });
  try {
    await foreground.waitFor(/Started/);
    const pid = await readPid(`${dir}/fg.pid`);
    equal(pid, foreground.child.pid);
    const second = await runCli(["run", "--pidfile", "fg.pid"], { cwd: dir });
    equal(second.code, 1);
    match(
      second.stderr,
      new RegExp(
        `^aio: error: already running as pid ${pid} \\(fg\\.pid\\)$`,
        "m",
      ),
    );
    const stopped = await runCli(["stop", "--pidfile", "fg.pid"], {
      cwd: dir,
    });
    equal(stopped.code, 0, stopped.stderr);
    const result = await foreground.done();
    equal(result.code, 0, result.stderr);
    ok(!await exists(`${dir}/fg.pid`));
  } finally {
    if (alive(foreground.child.pid)) foreground.kill("SIGKILL");
    await foreground.done();
  }
});

Deno.test("run -d under the flags aio permissions -d prints starts a daemon with no more than those", async () => {
  const dir = await daemonApp();
  try {
    const printed = await runCli(["permissions", "-d"], { cwd: dir });
    equal(printed.code, 0, printed.stderr);
    const flags = ["--no-prompt", ...printed.stdout.trim().split(" ")];
    const started = await runCli(["run", "-d"], { cwd: dir, denoFlags: flags });
    equal(started.code, 0, started.stderr);
    const pid = await readPid(`${dir}/var/run/aio.pid`);
    const cmdline = (await Deno.readTextFile(`/proc/${pid}/cmdline`))
      .split("\0");
    ok(!cmdline.includes("-A"), cmdline.join(" "));
    ok(
      !cmdline.some((arg) => arg.startsWith("--allow-run")),
      cmdline.join(" "),
    );
    ok(cmdline.some((arg) => arg.startsWith("--allow-read=")));
    const stopped = await runCli(["stop"], {
      cwd: dir,
      denoFlags: [
        "--no-prompt",
        `--allow-read=${dir}`,
        "--allow-env",
        "--allow-run",
      ],
    });
    equal(stopped.code, 0, stopped.stderr);
    ok(!alive(pid));
  } finally {
    await cleanUp(dir);
  }
});
