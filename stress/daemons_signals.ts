// Part 11: daemons, signals and stops (issue 12 items 2-4 and 7-9, issue 11
// item 1), each many times at random moments:
//
// a. N simultaneous `aio run -d` on one pidfile: exactly one daemon runs,
//    every other launcher exits 1 naming its pid, and no other process is
//    left (counted from /proc); then `aio stop` leaves none.
// b. SIGTERM while a schedule blocks the event loop for 5 s, with
//    shutdown_timeout = 1: aio ends within shutdown_timeout + 1 s (plus a
//    tolerance for a loaded machine), exit 1 with the watchdog's line.
// c. SIGTERM at a random moment of a slow start-up (a module importing for
//    2 s, then a server factory binding for 2 s): exit 0 within
//    shutdown_timeout, and `aio-started` only when the start finished first.
// d. Ctrl-C (SIGINT to the whole process group) on `deno task start`: exit
//    0, `aio-stopped` ran, no "second signal".
//
//   deno run -A stress/daemons_signals.ts [--trials 10] [--launchers 8] [--seed N]
import { parseArgs } from "node:util";
import { CLI, CliProcess, runCli, tempApp } from "../tests/e2e/_cli.ts";
import { GroupProcess, processesWith } from "../tests/e2e/_processes.ts";
import {
  median,
  type PartResult,
  prng,
  runAlone,
  seedFrom,
  sleep,
} from "./_common.ts";

/** Title of this part in STRESS.md. */
export const NAME = "11. Daemons, signals and stops";

/** Options for {@linkcode daemonsAndSignals}. */
export interface DaemonsOptions {
  /** Trials of each kind (default 10). */
  trials?: number;
  /** Launchers started at once in each trial of (a) (default 8). */
  launchers?: number;
  /** The seed for the random moments. */
  seed?: number;
}

/** How much later than its bound a stop may end on a loaded 2-core machine (s). */
const TOLERANCE_S = 0.75;

const MODULE = `
export function started() { console.error("MARK aio-started"); }
export function stopped() { console.error("MARK aio-stopped"); }
export function block() {
  console.error("MARK blocking");
  const until = Date.now() + 5000;
  while (Date.now() < until) { /* blocked */ }
}
export async function slowFactory() {
  await new Promise((r) => setTimeout(r, 2000));
  return { close() {} };
}
`;

/** Runs the four kinds of trial and sums them up. */
export async function daemonsAndSignals(
  options: DaemonsOptions = {},
): Promise<PartResult> {
  const trials = options.trials ?? 10;
  const launchers = options.launchers ?? 8;
  const random = prng(options.seed ?? seedFrom(undefined));
  const failures: string[] = [];
  const figures: Record<string, unknown> = {};

  // a. Simultaneous launchers.
  let oneDaemon = 0;
  let lostInChild = 0;
  const launchSeconds: number[] = [];
  for (let trial = 0; trial < trials; trial++) {
    const dir = await tempApp(
      "[aio]\nshutdown_timeout = 2\n[listen/m]\naio-stopped = ./m.ts#stopped\n",
      { "m.ts": MODULE },
    );
    const started = performance.now();
    const results = await Promise.all(
      Array.from(
        { length: launchers },
        () => runCli(["run", "-d"], { cwd: dir }),
      ),
    );
    launchSeconds.push((performance.now() - started) / 1000);
    const winners = results.filter((result) => result.code === 0).length;
    const pid = Number(
      (await Deno.readTextFile(`${dir}/var/run/aio.pid`).catch(() => "0"))
        .trim(),
    );
    await sleep(200);
    const running = processesWith(`${dir}/aio.conf`);
    const namers = results.filter((result) =>
      result.code === 1 &&
      result.stderr.includes(`already running as pid ${pid} `)
    ).length;
    if (winners === 1 && running.length === 1 && running[0] === pid) {
      oneDaemon++;
    } else {
      failures.push(
        `launchers trial ${trial}: ${winners} launcher(s) exited 0, ${running.length} daemon(s) run`,
      );
    }
    if (namers !== launchers - 1) {
      failures.push(
        `launchers trial ${trial}: ${namers} of ${
          launchers - 1
        } losers named pid ${pid}`,
      );
    }
    const log = await Deno.readTextFile(`${dir}/var/log/aio.log`);
    lostInChild += log.match(/already running as pid/g)?.length ?? 0;
    const stop = await runCli(["stop"], { cwd: dir });
    if (stop.code !== 0 || processesWith(`${dir}/aio.conf`).length !== 0) {
      failures.push(`launchers trial ${trial}: stop exited ${stop.code}`);
    }
    for (const left of processesWith(`${dir}/aio.conf`)) {
      Deno.kill(left, "SIGKILL");
    }
  }
  figures[`a. ${launchers} simultaneous run -d`] =
    `${oneDaemon} of ${trials} trials: exactly 1 daemon; ${lostInChild} launches lost the lock in the daemon itself, the rest at the launcher's check; launch wall time median ${
      median(launchSeconds).toFixed(1)
    } s`;

  // b. A blocked event loop during the stop.
  const blockedExit: number[] = [];
  let watchdogLines = 0;
  for (let trial = 0; trial < trials; trial++) {
    const dir = await tempApp(
      "[aio]\nshutdown_timeout = 1\n[schedule/block]\nevery = 1\nfunc = ./m.ts#block\n",
      { "m.ts": MODULE },
    );
    const aio = new CliProcess(["run"], { cwd: dir });
    await aio.waitFor(/MARK blocking/);
    await sleep(random() * 4000);
    const signalled = performance.now();
    aio.kill("SIGTERM");
    const result = await aio.done();
    const took = (performance.now() - signalled) / 1000;
    blockedExit.push(took);
    const line = /stop took longer than shutdown_timeout \(1 s\): exiting/.test(
      result.stderr,
    );
    if (line) watchdogLines++;
    if (took > 2 + TOLERANCE_S) {
      failures.push(`blocked trial ${trial}: exit took ${took.toFixed(2)} s`);
    }
    if (result.code !== 0 && !(result.code === 1 && line)) {
      failures.push(
        `blocked trial ${trial}: exit ${result.code} without the watchdog's line`,
      );
    }
  }
  figures["b. SIGTERM with the loop blocked for 5 s, shutdown_timeout 1 s"] =
    `exit after median ${median(blockedExit).toFixed(2)} s, max ${
      Math.max(...blockedExit).toFixed(2)
    } s (bound 2 s + ${TOLERANCE_S} s); ${watchdogLines} of ${trials} ended by the watchdog (exit 1), the rest stopped in time`;

  // c. SIGTERM during a slow start-up.
  const startupExit: number[] = [];
  let duringStart = 0;
  for (let trial = 0; trial < trials; trial++) {
    const dir = await tempApp(
      `[aio]
shutdown_timeout = 1
modules = ./slow.ts

[server/slow]
factory = ./m.ts#slowFactory
address = 127.0.0.1
port = 0

[listen/m]
aio-started = ./m.ts#started
aio-stopped = ./m.ts#stopped
`,
      {
        "m.ts": MODULE,
        "slow.ts":
          'console.error("MARK importing");\nawait new Promise((r) => setTimeout(r, 2000));\n',
      },
    );
    const aio = new CliProcess(["run"], { cwd: dir });
    await aio.waitFor(/MARK importing/);
    await sleep(random() * 4500);
    const signalled = performance.now();
    aio.kill("SIGTERM");
    const result = await aio.done();
    const took = (performance.now() - signalled) / 1000;
    startupExit.push(took);
    const interrupted =
      /stopped during start-up, while (importing|starting server)/
        .test(result.stderr);
    if (interrupted) duringStart++;
    if (result.code !== 0 || took > 1 + TOLERANCE_S) {
      failures.push(
        `start-up trial ${trial}: exit ${result.code} after ${
          took.toFixed(2)
        } s`,
      );
    }
    if (interrupted && /MARK aio-started/.test(result.stderr)) {
      failures.push(`start-up trial ${trial}: aio-started after the stop`);
    }
    if (!interrupted && !/MARK aio-stopped/.test(result.stderr)) {
      failures.push(`start-up trial ${trial}: started but no aio-stopped`);
    }
  }
  figures["c. SIGTERM at a random moment of a 4 s start-up"] =
    `${duringStart} of ${trials} landed during start-up (no aio-started); exit 0 after median ${
      median(startupExit).toFixed(2)
    } s, max ${Math.max(...startupExit).toFixed(2)} s (bound 1 s)`;

  // d. Ctrl-C to `deno task start`'s process group.
  let clean = 0;
  for (let trial = 0; trial < trials; trial++) {
    const dir = await tempApp(
      "[listen/m]\naio-started = ./m.ts#started\naio-stopped = ./m.ts#stopped\n",
      {
        "m.ts": MODULE,
        "deno.json": JSON.stringify({
          tasks: { start: `deno run -A ${CLI} run` },
        }),
      },
    );
    const task = new GroupProcess(Deno.execPath(), ["task", "start"], {
      cwd: dir,
    });
    await task.waitFor(/MARK aio-started/);
    await sleep(random() * 500);
    task.killGroup("SIGINT");
    const { code } = await task.done();
    if (
      code === 0 && /MARK aio-stopped/.test(task.output) &&
      !/second signal/.test(task.output)
    ) {
      clean++;
    } else {
      failures.push(`Ctrl-C trial ${trial}: exit ${code}`);
    }
  }
  figures["d. Ctrl-C to deno task start's process group"] =
    `${clean} of ${trials}: exit 0, aio-stopped ran, no second signal`;

  return { name: NAME, ok: failures.length === 0, figures, failures };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      trials: { type: "string" },
      launchers: { type: "string" },
      seed: { type: "string" },
    },
  });
  const seed = seedFrom(values.seed);
  console.log(`seed ${seed}`);
  await runAlone(
    NAME,
    () =>
      daemonsAndSignals({
        trials: values.trials ? Number(values.trials) : undefined,
        launchers: values.launchers ? Number(values.launchers) : undefined,
        seed,
      }),
  );
}
