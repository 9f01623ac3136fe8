// Worker processes through the real CLI: a supervisor and its workers as
// real processes, real sockets on port 0 (the first worker picks the port,
// the others take it), real signals.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { CliProcess, runCli, tempApp } from "./_cli.ts";
import { processesWith, waitUntil } from "./_processes.ts";
import dgram from "node:dgram";
import { readAll } from "../server/_helpers.ts";

const fixtures = new URL("../fixtures/workers/", import.meta.url).pathname;
const app = `${fixtures}app.ts`;

/** `aio run` with workers, started: every worker has said it started. */
async function startWorkers(
  config: string,
  options: {
    files?: Record<string, string>;
    args?: string[];
    workers?: number;
  } = {},
): Promise<{ aio: CliProcess; dir: string }> {
  const dir = await tempApp(config, options.files);
  const aio = new CliProcess(["run", ...options.args ?? []], { cwd: dir });
  try {
    for (let slot = 1; slot <= (options.workers ?? 2); slot++) {
      await aio.waitFor(new RegExp(`Worker ${slot} started: pid \\d+`));
    }
  } catch (error) {
    aio.kill("SIGKILL");
    throw error;
  }
  return { aio, dir };
}

/** The port a server of the app listens on, from its log line. */
function portOf(aio: CliProcess, server: string): number {
  const found = new RegExp(`Server ${server} listening on [^\\n]*:(\\d+)`)
    .exec(aio.stderr);
  if (!found) throw new Error(`no port for ${server} in:\n${aio.stderr}`);
  return Number(found[1]);
}

/** The pid of each worker slot, the last one started. */
function workerPids(aio: CliProcess): Map<number, number> {
  const pids = new Map<number, number>();
  for (
    const [, slot, pid] of aio.stderr.matchAll(
      /Worker (\d+) started: pid (\d+)/g,
    )
  ) {
    pids.set(Number(slot), Number(pid));
  }
  return pids;
}

/** GET `path` on a new connection (no pooling: each request may reach another worker). */
async function httpGet(port: number, path = "/"): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(
      new TextEncoder().encode(
        `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      ),
    );
    const response = await readAll(conn);
    match(response, /^HTTP\/1\.1 200 /);
    return response.slice(response.indexOf("\r\n\r\n") + 4);
  } finally {
    conn.close();
  }
}

/** What a TCP server writes to a new connection. */
async function tcpRead(port: number): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    return await readAll(conn);
  } finally {
    conn.close();
  }
}

/** What a unix socket server writes to a new connection. */
async function unixRead(path: string): Promise<string> {
  const conn = await Deno.connect({ transport: "unix", path });
  try {
    return await readAll(conn);
  } finally {
    conn.close();
  }
}

async function stopped(aio: CliProcess): Promise<void> {
  aio.kill("SIGTERM");
  const result = await aio.done();
  equal(result.code, 0, result.stderr);
}

/** Polls `check` every 20 ms until it is true; fails after `ms`. */
async function eventually(
  check: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
): Promise<void> {
  const end = performance.now() + ms;
  while (!await check()) {
    if (performance.now() > end) throw new Error(`not in ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

/** `PID SLOT_MS` lines of a schedule's file. */
function ticks(file: string): { pid: number; slot: number }[] {
  let text = "";
  try {
    text = Deno.readTextFileSync(file);
  } catch {
    return [];
  }
  return text.trim().split("\n").filter(Boolean).map((line) => {
    const [pid, slot] = line.split(" ").map(Number);
    return { pid, slot };
  });
}

const shared = `[aio]
workers = 2

[server/web]
handler = ${app}#pidHandler
address = 127.0.0.1
port = 0

[server/raw]
protocol = ${app}#PidProtocol
address = 127.0.0.1
port = 0
`;

Deno.test("two workers share a port 0 server's port: both answer, each with its own pid", async () => {
  const { aio } = await startWorkers(shared);
  try {
    const workers = new Set(workerPids(aio).values());
    equal(workers.size, 2);
    ok(!workers.has(aio.child.pid), "the supervisor serves nothing itself");
    // The first worker picked the port; the second bound the same one.
    const ports = [
      ...aio.stderr.matchAll(/Server web listening on [^\n]*:(\d+)/g),
    ]
      .map((found) => Number(found[1]));
    deepEqual(ports, [ports[0], ports[0]]);
    const web = portOf(aio, "web");
    const raw = portOf(aio, "raw");
    const seenHttp = new Set<number>();
    const seenTcp = new Set<number>();
    await eventually(
      async () => {
        seenHttp.add(Number(await httpGet(web)));
        seenTcp.add(Number(await tcpRead(raw)));
        return seenHttp.size === 2 && seenTcp.size === 2;
      },
      10_000,
      "both workers answering",
    );
    deepEqual(seenHttp, workers);
    deepEqual(seenTcp, workers);
  } finally {
    await stopped(aio);
  }
});

Deno.test("a schedule runs in one worker; after SIGKILL of that worker another takes it over on the same grid, and the dead one is back", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aio_workers_ticks_" });
  const file = `${dir}/ticks`;
  const { aio } = await startWorkers(`[aio]
workers = 2

[schedule/tick]
func = ${app}#tick
every = 0.5
file = ${file}
`);
  try {
    await eventually(() => ticks(file).length >= 3, 10_000, "three runs");
    const before = ticks(file);
    const owner = before[0].pid;
    deepEqual(new Set(before.map((run) => run.pid)), new Set([owner]));
    const slots = workerPids(aio);
    ok([...slots.values()].includes(owner), "a worker runs it");
    const ownerSlot = [...slots].find(([, pid]) => pid === owner)![0];
    const killedAt = Date.now();
    Deno.kill(owner, "SIGKILL");
    await eventually(
      () => ticks(file).some((run) => run.pid !== owner),
      10_000,
      "a run in another worker",
    );
    const after = ticks(file).filter((run) => run.pid !== owner);
    // Within one interval of the death (0.5 s), allowing for a loaded machine.
    ok(
      after[0].slot - killedAt <= 500 + 300,
      `first run ${after[0].slot - killedAt} ms after the kill`,
    );
    // On the dead owner's grid, and no slot run twice.
    const anchor = before[0].slot;
    const offGrid = ((after[0].slot - anchor) % 500 + 500) % 500;
    ok(offGrid < 60 || offGrid > 440, `${offGrid} ms off the grid`);
    const all = ticks(file).map((run) => Math.round((run.slot - anchor) / 500));
    equal(new Set(all).size, all.length, `a slot ran twice: ${all}`);
    // The killed worker's slot is back, with a new pid.
    await aio.waitFor(
      new RegExp(
        `Worker ${ownerSlot} \\(pid ${owner}\\) was killed by SIGKILL; restarting it in 0\\.1 s`,
      ),
    );
    await eventually(
      () => (workerPids(aio).get(ownerSlot) ?? owner) !== owner,
      5000,
      "the killed worker restarted",
    );
    // Still one worker runs it: the one that took it over.
    await eventually(
      () => ticks(file).filter((run) => run.pid !== owner).length >= 4,
      5000,
      "more runs",
    );
    deepEqual(
      new Set(
        ticks(file).filter((run) => run.pid !== owner).map((run) => run.pid),
      ),
      new Set([after[0].pid]),
    );
  } finally {
    await stopped(aio);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a worker that keeps dying is restarted with a growing delay, its exit code logged", async () => {
  const { aio } = await startWorkers(`[aio]
workers = 2

[listen/crash]
aio-started = ${app}#crashSoon
`);
  try {
    await aio.waitFor(
      /Worker 1 \(pid \d+\) exited with code 3; restarting it in 0\.4 s/,
    );
    const started = performance.now();
    await aio.waitFor(
      /Worker 1 \(pid \d+\) exited with code 3; restarting it in 1\.6 s/,
    );
    // 0.8 s and 1.6 s of waiting came between: no tight loop.
    ok(performance.now() - started >= 800, "the delays were waited");
    const delays = [
      ...aio.stderr.matchAll(
        /Worker 1 \(pid \d+\) exited with code 3; restarting it in ([\d.]+) s/g,
      ),
    ]
      .map((found) => Number(found[1]));
    deepEqual(delays.slice(0, 5), [0.1, 0.2, 0.4, 0.8, 1.6]);
  } finally {
    await stopped(aio);
  }
});

Deno.test("SIGTERM: each worker finishes the requests it holds, and the supervisor exits 0", async () => {
  const { aio } = await startWorkers(`[aio]
workers = 2

[server/slow]
handler = ${app}#slowHandler
address = 127.0.0.1
port = 0
`);
  const port = portOf(aio, "slow");
  const pids = [...workerPids(aio).values()];
  const responses = Array.from({ length: 6 }, () => httpGet(port, "/?ms=1500"));
  await new Promise((resolve) => setTimeout(resolve, 500));
  aio.kill("SIGTERM");
  for (const body of await Promise.all(responses)) match(body, /^slow \d+\n$/);
  const result = await aio.done();
  equal(result.code, 0, result.stderr);
  match(result.stderr, /Stopping 2 workers \(shutdown_timeout 10 s\)/);
  for (const pid of pids) ok(!alive(pid), `worker ${pid} is gone`);
});

Deno.test("SIGTERM to an idle supervisor: the workers stop at once, without the grace a worker handing its port over gives", async () => {
  const { aio } = await startWorkers(shared);
  const start = performance.now();
  aio.kill("SIGTERM");
  const result = await aio.done();
  const took = performance.now() - start;
  equal(result.code, 0, result.stderr);
  // A worker handing its port over waits up to 5 s for the requests of
  // the connections it holds.
  ok(took < 1900, `the stop took ${Math.round(took)} ms`);
});

Deno.test("SIGTERM: a worker whose stop hangs is killed at shutdown_timeout; the supervisor still exits 0 in time", async () => {
  const { aio } = await startWorkers(`[aio]
workers = 2
shutdown_timeout = 1

[listen/hang]
aio-stopping = ${app}#blockStop
`);
  const pids = [...workerPids(aio).values()];
  const started = performance.now();
  aio.kill("SIGTERM");
  const result = await aio.done();
  const seconds = (performance.now() - started) / 1000;
  equal(result.code, 0, result.stderr);
  ok(seconds < 1 + 1 + 0.5, `stopped in ${seconds.toFixed(2)} s`);
  match(
    result.stderr,
    /2 worker\(s\) still running after shutdown_timeout \(1 s\): killing/,
  );
  for (const pid of pids) ok(!alive(pid), `worker ${pid} is gone`);
});

/** The rolling-reload app: `answer.ts` holds the answer, written from the fixture template. */
function answerModule(answer: string): string {
  return Deno.readTextFileSync(`${fixtures}versioned.ts`).replaceAll(
    "ANSWER",
    answer,
  );
}

const reloadable = `[aio]
workers = 2

[server/web]
handler = ./answer.ts#answer
address = 127.0.0.1
port = 0

[server/raw]
protocol = ./answer.ts#AnswerProtocol
address = 127.0.0.1
port = 0
`;

Deno.test("SIGHUP: a rolling reload switches the answers, refusing no connection and failing no request", async () => {
  // Linux resets the connections queued on a closing socket of a shared
  // port unless told to move them (.ci/run sets it; the README says why).
  equal(
    Deno.readTextFileSync("/proc/sys/net/ipv4/tcp_migrate_req").trim(),
    "1",
    "this needs sysctl -w net.ipv4.tcp_migrate_req=1",
  );
  const { aio, dir } = await startWorkers(reloadable, {
    files: { "answer.ts": answerModule("v1") },
    args: ["--pidfile", "aio.pid"],
  });
  const web = portOf(aio, "web");
  const raw = portOf(aio, "raw");
  const old = [...workerPids(aio).values()];
  const answers = new Map<string, number>();
  const failures: string[] = [];
  let running = true;
  const client = async (ask: () => Promise<string>) => {
    while (running) {
      try {
        const answer = await ask();
        answers.set(answer, (answers.get(answer) ?? 0) + 1);
      } catch (error) {
        failures.push(String(error));
      }
    }
  };
  const clients = [
    ...Array.from({ length: 4 }, () => client(() => httpGet(web))),
    ...Array.from({ length: 4 }, () => client(() => tcpRead(raw))),
  ];
  try {
    await eventually(() => answers.size > 0, 5000, "answers before the reload");
    await Deno.writeTextFile(`${dir}/answer.ts`, answerModule("v2"));
    aio.kill("SIGHUP");
    await eventually(
      () => {
        try {
          return JSON.parse(Deno.readTextFileSync(`${dir}/aio.pid.reload.json`))
            .seq === 1;
        } catch {
          return false;
        }
      },
      30_000,
      "the reload's outcome",
    );
    const outcome = JSON.parse(
      Deno.readTextFileSync(`${dir}/aio.pid.reload.json`),
    );
    equal(outcome.outcome, "reloaded", JSON.stringify(outcome));
    deepEqual(outcome.errors, []);
    equal(outcome.pid, aio.child.pid);
    // The old workers finish what they had accepted, then exit.
    for (const pid of old) {
      await aio.waitFor(
        new RegExp(`Worker \\d \\(pid ${pid}\\) exited with code 0`),
      );
    }
    answers.clear();
    await eventually(
      () => (answers.get("v2\n") ?? 0) > 50,
      5000,
      "answers after",
    );
  } finally {
    running = false;
    await Promise.all(clients);
  }
  try {
    deepEqual(failures, []);
    deepEqual([...answers.keys()], ["v2\n"]);
    const now = [...workerPids(aio).values()];
    ok(now.every((pid) => !old.includes(pid)), `new workers: ${old} -> ${now}`);
  } finally {
    await stopped(aio);
  }
});

Deno.test("SIGHUP with a broken config: the workers keep serving and the outcome names the file and line", async () => {
  const { aio, dir } = await startWorkers(reloadable, {
    files: { "answer.ts": answerModule("v1") },
    args: ["--pidfile", "aio.pid"],
  });
  try {
    const before = [...workerPids(aio).values()];
    await Deno.writeTextFile(
      `${dir}/aio.conf`,
      reloadable.replace("workers = 2", "workers = 2\nshutdown_timeout = soon"),
    );
    aio.kill("SIGHUP");
    await eventually(
      () => {
        try {
          return JSON.parse(Deno.readTextFileSync(`${dir}/aio.pid.reload.json`))
            .seq === 1;
        } catch {
          return false;
        }
      },
      30_000,
      "the reload's outcome",
    );
    const outcome = JSON.parse(
      Deno.readTextFileSync(`${dir}/aio.pid.reload.json`),
    );
    equal(outcome.outcome, "failed");
    match(
      outcome.errors[0],
      /aio\.conf:3: \[aio\] shutdown_timeout: must be a number of seconds/,
    );
    deepEqual([...workerPids(aio).values()], before);
    for (const pid of before) ok(alive(pid));
    equal(await httpGet(portOf(aio, "web")), "v1\n");
  } finally {
    await stopped(aio);
  }
});

Deno.test("aio reload with workers: reloaded and exit 0 after a rolling reload; a broken config exits 78 with its line, the workers kept", async () => {
  const { aio, dir } = await startWorkers(reloadable, {
    files: { "answer.ts": answerModule("v1") },
    args: ["--pidfile", "aio.pid"],
  });
  try {
    await Deno.writeTextFile(`${dir}/answer.ts`, answerModule("v2"));
    const reloaded = await runCli(["reload", "--pidfile", "aio.pid"], {
      cwd: dir,
    });
    equal(reloaded.code, 0, reloaded.stderr);
    equal(reloaded.stdout.trim(), "reloaded");
    equal(await httpGet(portOf(aio, "web")), "v2\n");
    const kept = workerPids(aio);
    await Deno.writeTextFile(
      `${dir}/aio.conf`,
      reloadable.replace("workers = 2", "workers = 2\nshutdown_timeout = soon"),
    );
    const refused = await runCli(["reload", "--pidfile", "aio.pid"], {
      cwd: dir,
    });
    equal(refused.code, 78, refused.stderr);
    match(
      refused.stderr,
      /^aio: config error: \S*aio\.conf:3: \[aio\] shutdown_timeout: must be a number of seconds/m,
    );
    deepEqual(workerPids(aio), kept);
    equal(await httpGet(portOf(aio, "web")), "v2\n");
  } finally {
    await stopped(aio);
  }
});

Deno.test("SIGKILL of the supervisor: its workers see it gone and stop on their own, none left behind", async () => {
  const { aio, dir } = await startWorkers(shared);
  // A worker's command line names the config file in the app's directory.
  equal(processesWith(dir).length, 2);
  aio.kill("SIGKILL");
  await aio.done();
  await waitUntil(() => processesWith(dir).length === 0, "the workers to exit");
});

Deno.test("SIGTERM in the middle of a rolling reload: the supervisor exits 0 in time, no worker old or new left", async () => {
  const { aio, dir } = await startWorkers(reloadable, {
    files: { "answer.ts": answerModule("v1") },
  });
  await Deno.writeTextFile(`${dir}/answer.ts`, answerModule("v2"));
  aio.kill("SIGHUP");
  // The first new worker has started; the second slot is not replaced yet.
  await waitUntil(
    () => [...aio.stderr.matchAll(/Worker \d started: pid \d+/g)].length >= 3,
    "the first new worker",
    30_000,
  );
  const stopAt = performance.now();
  aio.kill("SIGTERM");
  const result = await aio.done();
  const seconds = (performance.now() - stopAt) / 1000;
  equal(result.code, 0, result.stderr);
  // shutdown_timeout (10 s) bounds it; idle workers stop well within.
  ok(seconds < 10 + 1, `stopped in ${seconds.toFixed(2)} s`);
  await waitUntil(
    () => processesWith(dir).length === 0,
    "no worker left",
    3000,
  );
});

Deno.test("udp and unix socket servers run in one worker only, and move to another when it dies", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aio_workers_sock_" });
  const socket = `${dir}/pid.sock`;
  const { aio } = await startWorkers(`[aio]
workers = 2

[server/udp]
protocol = ${app}#UdpPid
transport = udp
address = 127.0.0.1
port = 0

[server/local]
protocol = ${app}#PidProtocol
path = ${socket}
`);
  const udpPort = portOf(aio, "udp");
  const endpoint = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => endpoint.bind(0, "127.0.0.1", resolve));
  const askUdp = () =>
    new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no udp answer")), 5000);
      endpoint.once("message", (data) => {
        clearTimeout(timer);
        resolve(Number(new TextDecoder().decode(data)));
      });
      endpoint.send(new Uint8Array([1]), udpPort, "127.0.0.1");
    });
  try {
    // One log line each: only one worker bound them.
    equal(aio.stderr.match(/Server udp listening/g)?.length, 1);
    equal(aio.stderr.match(/Server local listening/g)?.length, 1);
    const owner = await askUdp();
    ok([...workerPids(aio).values()].includes(owner));
    for (let i = 0; i < 10; i++) {
      equal(await askUdp(), owner);
      equal(Number(await unixRead(socket)), owner);
    }
    Deno.kill(owner, "SIGKILL");
    let next = owner;
    await eventually(
      async () => {
        try {
          next = Number(await unixRead(socket));
        } catch {
          return false;
        }
        return next !== owner;
      },
      10_000,
      "the unix socket served by another worker",
    );
    equal(await askUdp(), next, "the udp server moved with it, on its port");
  } finally {
    endpoint.close();
    await stopped(aio);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("aio status lists the supervisor and each worker: pid, uptime, restarts, memory", async () => {
  const { aio, dir } = await startWorkers(shared, {
    args: ["--pidfile", "aio.pid"],
  });
  try {
    const pids = workerPids(aio);
    await eventually(
      () => {
        try {
          const state = JSON.parse(
            Deno.readTextFileSync(`${dir}/aio.pid.workers.json`),
          );
          return state.workers.filter((w: { state: string }) =>
            w.state === "running"
          ).length === 2;
        } catch {
          return false;
        }
      },
      5000,
      "the state file",
    );
    const status = await runCli(["status", "--pidfile", "aio.pid"], {
      cwd: dir,
    });
    equal(status.code, 0, status.stderr);
    match(status.stdout, new RegExp(`^aio: running, pid ${aio.child.pid}, `));
    match(
      status.stdout,
      new RegExp(
        `\\nsupervisor  pid ${aio.child.pid}  up \\d+s  rss [\\d.]+ MiB\\n`,
      ),
    );
    for (const [slot, pid] of pids) {
      match(
        status.stdout,
        new RegExp(
          `\\nworker ${slot}    pid ${pid}  up \\d+s  restarts 0  rss [\\d.]+ MiB`,
        ),
      );
    }
    match(status.stdout, / {2}\(owner\)\n/);
  } finally {
    await stopped(aio);
  }
  ok(
    !(await exists(`${dir}/aio.pid.workers.json`)),
    "the state file is removed at the exit",
  );
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("a config error exits 78 before any worker starts; -w takes a count or auto", async () => {
  const dir = await tempApp(`[aio]
workers = 2

[server/web]
handler = ${app}#noSuchHandler
port = 0
`);
  const bad = await runCli(["run"], { cwd: dir });
  equal(bad.code, 78, bad.stderr);
  match(
    bad.stderr,
    /aio: config error: .*aio\.conf:5: \[server\/web\] handler:/,
  );
  ok(!/Starting 2 workers/.test(bad.stderr), bad.stderr);
  const usage = await runCli(["run", "-w", "0"], { cwd: dir });
  equal(usage.code, 2);
  match(
    usage.stderr,
    /argument -w\/--workers: expected a whole number from 1 to 1024, or auto, got '0'/,
  );
  const config = await runCli(["check"], {
    cwd: await tempApp("[aio]\nworkers = many\n"),
  });
  equal(config.code, 78);
  match(
    config.stderr,
    /aio\.conf:2: \[aio\] workers: must be a whole number from 1 to 1024, or auto \(one per core\), not "many"/,
  );
});

Deno.test("-w 2 on the command line makes a supervisor of a config without workers", async () => {
  const { aio } = await startWorkers(shared.replace("workers = 2\n", ""), {
    args: ["-w", "2"],
  });
  try {
    equal(workerPids(aio).size, 2);
  } finally {
    await stopped(aio);
  }
});

Deno.test("[aio/health] with workers: the supervisor serves /readyz and one /metrics with every worker's figures under a worker label", async () => {
  const { parseExposition, sampleValue } = await import(
    "../metrics/_prometheus_parser.ts"
  );
  const { aio } = await startWorkers(`${shared}
[aio/health]
port = 0
`);
  try {
    const found = /Health server listening on ([\d.]+):(\d+)/.exec(aio.stderr);
    ok(found, aio.stderr);
    equal(
      aio.stderr.match(/Health server listening/g)?.length,
      1,
      "the workers serve none",
    );
    const base = `http://${found[1]}:${found[2]}`;
    const get = async (path: string) => {
      const response = await fetch(`${base}${path}`);
      return { status: response.status, text: await response.text() };
    };
    equal((await get("/healthz")).status, 200);
    equal((await get("/readyz")).status, 200);
    const web = portOf(aio, "web");
    for (let i = 0; i < 20; i++) await httpGet(web);
    let families = await parseExposition((await get("/metrics")).text);
    // The workers count what they serve; the page holds both.
    const served = ["1", "2"].map((worker) =>
      sampleValue(families, "aio_http_requests_total", {
        worker,
        server: "web",
        status: "200",
      }) ?? 0
    );
    equal(served[0] + served[1], 20, `requests by worker: ${served}`);
    equal(sampleValue(families, "aio_worker_restarts_total"), 0);
    for (const worker of ["1", "2"]) {
      ok(
        (sampleValue(families, "process_resident_memory_bytes", { worker }) ??
          0) > 0,
        `worker ${worker}'s memory`,
      );
    }
    ok(
      (sampleValue(families, "process_resident_memory_bytes") ?? 0) > 0,
      "the supervisor's own",
    );
    const victim = workerPids(aio).get(2)!;
    Deno.kill(victim, "SIGKILL");
    await eventually(
      () => (workerPids(aio).get(2) ?? victim) !== victim,
      5000,
      "worker 2 restarted",
    );
    families = await parseExposition((await get("/metrics")).text);
    equal(sampleValue(families, "aio_worker_restarts_total"), 1);
  } finally {
    await stopped(aio);
  }
});

/** A unix datagram socket that prints each message and its sender's pid, as systemd's notify socket would see them. */
const NOTIFY_LISTENER = `
import json, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
print("ready", flush=True)
while True:
    data, ancdata, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
    pid = None
    for level, kind, value in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", value[:12])[0]
    print(json.dumps({"pid": pid, "text": data.decode()}), flush=True)
`;

Deno.test("NOTIFY_SOCKET: the supervisor alone speaks to systemd, READY=1 with MAINPID once every worker has started, RELOADING=1 and READY=1 around a rolling reload, STOPPING=1", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aio_workers_notify_" });
  const socket = `${dir}/notify`;
  const listener = new Deno.Command("/usr/bin/python3", {
    args: ["-c", NOTIFY_LISTENER, socket],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines: { pid: number; text: string }[] = [];
  const reading = (async () => {
    let buffer = "";
    for await (
      const text of listener.stdout.pipeThrough(new TextDecoderStream())
    ) {
      buffer += text;
      let end: number;
      while ((end = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        if (line !== "ready") lines.push(JSON.parse(line));
      }
    }
  })();
  await eventually(async () => await exists(socket), 5000, "the notify socket");
  const app = await tempApp(shared);
  const aio = new CliProcess(["run", "--pidfile", "aio.pid"], {
    cwd: app,
    env: { NOTIFY_SOCKET: socket },
  });
  try {
    await eventually(
      () => lines.some((line) => line.text.includes("READY=1")),
      20_000,
      "READY=1",
    );
    const ready = lines.find((line) => line.text.includes("READY=1"))!;
    match(ready.text, new RegExp(`MAINPID=${aio.child.pid}`));
    match(ready.text, /STATUS=2\/2 workers running, 2 servers, 0 schedules/);
    // Both workers had started by then.
    equal(aio.stderr.match(/Worker \d started/g)?.length, 2);
    aio.kill("SIGHUP");
    await eventually(
      () => lines.filter((line) => line.text.includes("READY=1")).length === 2,
      30_000,
      "READY=1 after the reload",
    );
    const texts = lines.map((line) => line.text);
    const reloading = texts.findIndex((text) => text.includes("RELOADING=1"));
    ok(reloading > 0, texts.join(" | "));
    match(texts[reloading], /MONOTONIC_USEC=\d+/);
  } finally {
    await stopped(aio);
  }
  await eventually(
    () => lines.some((line) => line.text.includes("STOPPING=1")),
    5000,
    "STOPPING=1",
  );
  listener.kill("SIGTERM");
  await reading;
  await listener.status;
  for (const line of lines) {
    equal(line.pid, aio.child.pid, `sent by ${line.pid}: ${line.text}`);
  }
  await Deno.remove(dir, { recursive: true });
  await Deno.remove(app, { recursive: true });
});

Deno.test("without -A: the flags aio permissions prints for workers are enough for the supervisor and its workers", async () => {
  const dir = await tempApp(shared);
  const permissions = await runCli(["permissions"], { cwd: dir });
  equal(permissions.code, 0, permissions.stderr);
  const flags = permissions.stdout.trim().split(" ");
  ok(flags.includes(`--allow-run=${Deno.execPath()}`), permissions.stdout);
  const aio = new CliProcess(["run"], { cwd: dir, denoFlags: flags });
  try {
    await aio.waitFor(/Worker 2 started/);
    const web = portOf(aio, "web");
    match(await httpGet(web), /^\d+\n$/);
  } finally {
    await stopped(aio);
  }
});

Deno.test("two aio run -d -w 2 at once: one supervisor with its two workers runs, the other launcher names its pid", async () => {
  const dir = await tempApp(shared.replace("workers = 2\n", ""));
  const [a, b] = await Promise.all([
    runCli(["run", "-d", "-w", "2"], { cwd: dir }),
    runCli(["run", "-d", "-w", "2"], { cwd: dir }),
  ]);
  try {
    const codes = [a.code, b.code].sort();
    equal(codes[0], 0, a.stderr + b.stderr);
    ok(codes[1] !== 0, a.stderr + b.stderr);
    const loser = a.code === 0 ? b : a;
    const pid = Number(Deno.readTextFileSync(`${dir}/var/run/aio.pid`).trim());
    match(loser.stderr, new RegExp(`\\b${pid}\\b`));
    // One supervisor (the daemon, run with -c) and its two workers: the
    // loser left nothing.
    const commandLines = () =>
      processesWith(dir).map((pid) =>
        Deno.readTextFileSync(`/proc/${pid}/cmdline`).replaceAll("\0", " ")
      );
    await waitUntil(
      () => commandLines().length === 3,
      "one supervisor and two workers",
    );
    equal(
      commandLines().filter((line) => line.includes("--unstable-net")).length,
      2,
    );
  } finally {
    const stop = await runCli(["stop"], { cwd: dir });
    equal(stop.code, 0, stop.stderr);
  }
  await waitUntil(() => processesWith(dir).length === 0, "no worker left");
});

Deno.test("aio run -d -w 2: the daemon supervises two workers; aio stop stops them all", async () => {
  const dir = await tempApp(shared.replace("workers = 2\n", ""));
  const started = await runCli(["run", "-d", "-w", "2"], { cwd: dir });
  equal(started.code, 0, started.stderr);
  const status = await runCli(["status"], { cwd: dir });
  equal(status.code, 0, status.stderr);
  const pids = [...status.stdout.matchAll(/\nworker \d +pid (\d+)/g)].map((
    found,
  ) => Number(found[1]));
  equal(pids.length, 2, status.stdout);
  const stop = await runCli(["stop"], { cwd: dir });
  equal(stop.code, 0, stop.stderr);
  for (const pid of pids) ok(!alive(pid), `worker ${pid} is gone`);
  const log = await Deno.readTextFile(`${dir}/var/log/aio.log`);
  match(log, /Worker 1 started: pid \d+/);
  match(log, /Worker 2 started: pid \d+/);
});
