// The signals an operator sends to `aio run`, through the real CLI: Ctrl-C
// to a process group, a second signal, SIGHUP and friends, a stop during
// start-up, and the bounded stop (SPEC 10; issue 11 item 1, issue 12
// items 4, 7, 8 and 9).
import { equal, match, ok } from "node:assert/strict";
import { CLI, CliProcess, runCli, tempApp } from "./_cli.ts";
import { GroupProcess } from "./_processes.ts";

/** A module whose listeners say on stderr that they ran. */
const MARKERS = `
export function started() { console.error("MARK aio-started"); }
export function stopping() { console.error("MARK aio-stopping"); }
export function stopped() { console.error("MARK aio-stopped"); }
export function hang() { console.error("MARK hanging"); return new Promise(() => {}); }
export function slowStop() { return new Promise((r) => setTimeout(r, 1000)); }
export function boom() { throw new Error("boom from a listener"); }
export function block() {
  console.error("MARK blocking");
  const until = Date.now() + 5000;
  while (Date.now() < until) { /* the event loop is blocked */ }
}
export async function slowFactory() {
  console.error("MARK binding");
  await new Promise((r) => setTimeout(r, 8000));
  return { close() {} };
}
`;

const LIFECYCLE = `[listen/marks]
aio-started = ./marks.ts#started
aio-stopping = ./marks.ts#stopping
aio-stopped = ./marks.ts#stopped
`;

async function app(config: string, files: Record<string, string> = {}) {
  return await tempApp(config, { "marks.ts": MARKERS, ...files });
}

/** Seconds since `start` (a performance.now() time). */
function since(start: number): number {
  return (performance.now() - start) / 1000;
}

Deno.test("Ctrl-C on deno task start (SIGINT to the whole process group) stops aio once, exit 0", async () => {
  const dir = await app(LIFECYCLE, {
    "deno.json": JSON.stringify({
      tasks: { start: `deno run -A ${CLI} run` },
    }),
  });
  const task = new GroupProcess(Deno.execPath(), ["task", "start"], {
    cwd: dir,
  });
  await task.waitFor(/MARK aio-started/);
  task.killGroup("SIGINT");
  const { code } = await task.done();
  equal(code, 0, task.output);
  match(task.output, /MARK aio-stopped/);
  equal(
    task.output.match(/Stopping on SIGINT: a second Ctrl-C forces the exit/g)
      ?.length,
    1,
  );
  ok(!/second signal/.test(task.output), task.output);
});

Deno.test("Ctrl-C under deno run --watch stops aio once, aio-stopped runs", async () => {
  const dir = await app(LIFECYCLE);
  const watched = new GroupProcess(
    Deno.execPath(),
    ["run", "--watch", "-A", CLI, "run"],
    { cwd: dir },
  );
  await watched.waitFor(/MARK aio-started/);
  watched.killGroup("SIGINT");
  await watched.done();
  match(watched.output, /MARK aio-stopped/);
  ok(!/second signal/.test(watched.output), watched.output);
});

Deno.test("two stop signals within 500 ms are one stop, exit 0", async () => {
  const dir = await app(
    `${LIFECYCLE}[listen/slow]\naio-stopping = ./marks.ts#slowStop\n`,
  );
  const aio = new CliProcess(["run"], { cwd: dir });
  await aio.waitFor(/MARK aio-started/);
  aio.kill("SIGTERM");
  aio.kill("SIGINT");
  const result = await aio.done();
  equal(result.code, 0, result.stderr);
  match(result.stderr, /MARK aio-stopped/);
});

Deno.test("a second stop signal 500 ms or more after the first forces exit 1", async () => {
  const dir = await app(
    `[aio]\nshutdown_timeout = 30\n[listen/slow]\naio-stopping = ./marks.ts#hang\n`,
  );
  const aio = new CliProcess(["run"], { cwd: dir });
  await aio.waitFor(/Started/);
  aio.kill("SIGTERM");
  await aio.waitFor(/MARK hanging/);
  await new Promise((resolve) => setTimeout(resolve, 600));
  const start = performance.now();
  aio.kill("SIGINT");
  const result = await aio.done();
  equal(result.code, 1);
  match(result.stderr, /aio: error: second signal during stop, exiting now/);
  ok(since(start) < 3, `forced exit took ${since(start)} s`);
});

Deno.test("SIGHUP, SIGUSR1, SIGUSR2 and SIGPIPE do not kill aio; SIGTERM still stops it cleanly", async () => {
  const dir = await app(LIFECYCLE);
  const aio = new CliProcess(["run"], { cwd: dir });
  await aio.waitFor(/MARK aio-started/);
  for (const signal of ["SIGHUP", "SIGUSR1", "SIGUSR2", "SIGPIPE"] as const) {
    aio.kill(signal);
  }
  await aio.waitFor(/SIGUSR2 ignored/);
  await aio.waitFor(/SIGHUP: log files reopened/);
  await aio.waitFor(/SIGUSR1: log files reopened/);
  aio.kill("SIGTERM");
  const result = await aio.done();
  equal(result.code, 0, result.stderr);
  match(result.stderr, /MARK aio-stopped/);
});

Deno.test("SIGQUIT stops aio cleanly (Deno's default would kill it)", async () => {
  const dir = await app(LIFECYCLE);
  const aio = new CliProcess(["run"], { cwd: dir });
  await aio.waitFor(/MARK aio-started/);
  aio.kill("SIGQUIT");
  const result = await aio.done();
  equal(result.code, 0, result.stderr);
  match(result.stderr, /MARK aio-stopped/);
});

for (
  const [name, module] of [
    ["never settles", "await new Promise(() => {});"],
    ["takes 30 s", "await new Promise((r) => setTimeout(r, 30_000));"],
  ]
) {
  Deno.test(`SIGTERM while a module's top-level await ${name}: nothing starts, exit 0 at once, naming the module`, async () => {
    const dir = await app(
      `[aio]\nshutdown_timeout = 1\nmodules = ./slow.ts\n${LIFECYCLE}`,
      { "slow.ts": `console.error("MARK importing");\n${module}\n` },
    );
    const aio = new CliProcess(["run"], { cwd: dir });
    await aio.waitFor(/MARK importing/);
    const start = performance.now();
    aio.kill("SIGTERM");
    const result = await aio.done();
    equal(result.code, 0, result.stderr);
    ok(since(start) < 1, `exit took ${since(start)} s`);
    match(
      result.stderr,
      /^aio: stopped during start-up, while importing \.\/slow\.ts$/m,
    );
    ok(!/MARK aio-started|Started:/.test(result.stderr), result.stderr);
  });
}

Deno.test("SIGTERM while a server factory binds: no aio-started, exit 0 within shutdown_timeout, naming the server", async () => {
  const dir = await app(`[aio]
shutdown_timeout = 1

[server/slow]
factory = ./marks.ts#slowFactory
address = 127.0.0.1
port = 0

${LIFECYCLE}`);
  const aio = new CliProcess(["run"], { cwd: dir });
  await aio.waitFor(/MARK binding/);
  const start = performance.now();
  aio.kill("SIGTERM");
  const result = await aio.done();
  equal(result.code, 0, result.stderr);
  ok(since(start) < 1, `exit took ${since(start)} s`);
  match(
    result.stderr,
    /aio: stopped during start-up, while starting server \[server\/slow\] on 127\.0\.0\.1:0/,
  );
  ok(!/MARK aio-started/.test(result.stderr), result.stderr);
  // aio-starting was emitted, so its listeners hear the wind-down.
  match(result.stderr, /MARK aio-stopped/);
});

Deno.test("an aio-stopping listener's error is logged when it happens, while another still hangs", async () => {
  const dir = await app(`[aio]
shutdown_timeout = 5

[listen/boom]
aio-stopping = ./marks.ts#boom

[listen/hang]
aio-stopping = ./marks.ts#hang
`);
  const aio = new CliProcess(["run"], { cwd: dir });
  await aio.waitFor(/Started/);
  const start = performance.now();
  aio.kill("SIGTERM");
  await aio.waitFor(/boom from a listener/);
  ok(since(start) < 2, `logged after ${since(start)} s`);
  ok(!/still running after/.test(aio.stderr), "logged before the deadline");
  const result = await aio.done();
  equal(result.code, 0, result.stderr);
});

Deno.test("a blocked event loop cannot hold the stop past shutdown_timeout + 1 s: exit 1 with a line saying why", async () => {
  const dir = await app(`[aio]
shutdown_timeout = 1

[schedule/block]
every = 10
func = ./marks.ts#block
`);
  const aio = new CliProcess(["run"], { cwd: dir });
  // The signal arrives while the main thread spins: its own listener cannot
  // run, the watchdog thread's does.
  await aio.waitFor(/MARK blocking/);
  const start = performance.now();
  aio.kill("SIGTERM");
  const result = await aio.done();
  const took = since(start);
  equal(result.code, 1, result.stderr);
  match(
    result.stderr,
    /^aio: error: stop took longer than shutdown_timeout \(1 s\): exiting$/m,
  );
  ok(took >= 1.9 && took < 3.5, `exit took ${took} s (bound 2 s)`);
});

Deno.test("without --allow-ffi the watchdog still ends a blocked stop (SIGKILL, status 137)", async () => {
  const dir = await app(`[aio]
shutdown_timeout = 1

[schedule/block]
every = 10
func = ./marks.ts#block
`);
  const aio = new CliProcess(["run"], {
    cwd: dir,
    denoFlags: ["--allow-read", "--allow-env"],
  });
  await aio.waitFor(/MARK blocking/);
  const start = performance.now();
  aio.kill("SIGTERM");
  const status = await aio.child.status;
  const result = await aio.done();
  const took = since(start);
  equal(status.signal, "SIGKILL", result.stderr);
  match(result.stderr, /stop took longer than shutdown_timeout \(1 s\)/);
  ok(took < 3.5, `exit took ${took} s`);
});

Deno.test("aio check names a module whose top-level await never settles, in one line, exit 78", async () => {
  const dir = await tempApp("[aio]\nmodules = ./hang.ts\n", {
    "hang.ts": "await new Promise(() => {});\n",
  });
  const result = await runCli(["check"], { cwd: dir });
  equal(result.code, 78, result.stderr);
  equal(
    result.stderr.trim(),
    "aio: config error: aio.conf:2: [aio] modules: Module './hang.ts' did not finish importing within 10 s (a top-level await that never settles?)",
  );
});
