// Part 14: worker processes (issue 15), with `workers = 2`:
//
// a. Rolling reloads under load: 200 HTTP and 200 TCP clients busy (a new
//    connection per request), `--reloads` SIGHUPs, each after the handler's
//    module file changed its answer: no failed request, no refused
//    connection, every answer whole, and once the old workers have gone
//    every answer is the new one.
// b. Kill -9 a worker under the same load, `--kills` times: the survivor
//    keeps answering (requests complete in every 100 ms while the worker is
//    down), and the killed worker's slot is back within 2 s. Requests the
//    killed worker held die with it: counted, not a failure.
// c. A reload with a broken config: the outcome names the file and line,
//    the workers stay the same and keep answering.
// d. A crash loop (workers that exit 50 ms after they start), 10 s: the
//    restarts follow the backoff and the supervisor uses little CPU.
//
//   deno run -A stress/workers.ts [--reloads 100] [--kills 10] [--clients 200]
import { parseArgs } from "node:util";
import { CliProcess, tempApp } from "../tests/e2e/_cli.ts";
import { median, type PartResult, sleep } from "./_common.ts";

/** Title of this part in STRESS.md. */
export const NAME = "14. Worker processes";

/** Options for {@linkcode workerProcesses}. */
export interface WorkersOptions {
  /** Rolling reloads under load (default 100). */
  reloads?: number;
  /** Workers killed under load (default 10). */
  kills?: number;
  /** HTTP clients, and as many TCP clients (default 200). */
  clients?: number;
}

const FIXTURE = new URL("../tests/fixtures/workers/", import.meta.url).pathname;
const CONFIG = `[aio]
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

function answerModule(answer: string): string {
  return Deno.readTextFileSync(`${FIXTURE}versioned.ts`).replaceAll(
    "ANSWER",
    answer,
  );
}

/** What the clients saw. */
interface Load {
  done: boolean;
  ok: number;
  refused: number;
  failed: number;
  failures: string[];
  /** Answers by text, of requests started at `since` or later. */
  answers: Map<string, number>;
  /** When (performance.now()) `answers` began counting. */
  since: number;
  /** Completed requests by 100 ms bucket (performance.now() / 100). */
  buckets: Map<number, number>;
  /** Answers accepted as whole (every version written so far: a request sent before a reload may get the old one). */
  valid: Set<string>;
  /** The longest time this process's event loop did not run (ms): its clients stall as long. */
  longestStallMs: number;
  /** How often it did not run for 2 s or more (a draining worker's grace). */
  longStalls: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function readAll(conn: Deno.Conn): Promise<string> {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(4096);
  while (true) {
    const read = await conn.read(buffer);
    if (read === null) break;
    chunks.push(buffer.slice(0, read));
  }
  return decoder.decode(
    chunks.length === 1 ? chunks[0] : new Uint8Array(
      chunks.flatMap((chunk) => [...chunk]),
    ),
  );
}

async function ask(kind: "http" | "tcp", port: number): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const connected = performance.now();
  try {
    if (kind === "tcp") return await readAll(conn);
    await conn.write(
      encoder.encode("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    );
    const written = performance.now();
    const response = await readAll(conn);
    if (!response.startsWith("HTTP/1.1 200 ")) {
      throw new Error(
        `HTTP answer ${JSON.stringify(response.slice(0, 40))} (request sent ${
          Math.round(written - connected)
        } ms after the connect, the end ${
          Math.round(performance.now() - written)
        } ms later)`,
      );
    }
    return response.slice(response.indexOf("\r\n\r\n") + 4);
  } finally {
    conn.close();
  }
}

function startLoad(
  web: number,
  raw: number,
  clients: number,
  valid: Set<string>,
): { load: Load; stop: () => Promise<void> } {
  const load: Load = {
    done: false,
    ok: 0,
    refused: 0,
    failed: 0,
    failures: [],
    answers: new Map(),
    since: 0,
    buckets: new Map(),
    valid,
    longestStallMs: 0,
    longStalls: 0,
  };
  // A client whose connect resolves late here writes its request late: a
  // draining worker may have closed the connection by then, unread.
  let tick = performance.now();
  const stalls = setInterval(() => {
    const now = performance.now();
    const stall = now - tick - 50;
    tick = now;
    load.longestStallMs = Math.max(load.longestStallMs, stall);
    if (stall >= 2000) load.longStalls++;
  }, 50);
  const client = async (kind: "http" | "tcp", port: number) => {
    while (!load.done) {
      const started = performance.now();
      try {
        const answer = await ask(kind, port);
        if (!load.valid.has(answer)) {
          throw new Error(`${kind} answer ${JSON.stringify(answer)}`);
        }
        load.ok++;
        if (started >= load.since) {
          load.answers.set(answer, (load.answers.get(answer) ?? 0) + 1);
        }
        const bucket = Math.floor(performance.now() / 100);
        load.buckets.set(bucket, (load.buckets.get(bucket) ?? 0) + 1);
      } catch (error) {
        if (error instanceof Deno.errors.ConnectionRefused) load.refused++;
        else load.failed++;
        if (load.failures.length < 20) {
          const at = (ms: number) =>
            new Date(performance.timeOrigin + ms).toISOString().slice(11, 23);
          load.failures.push(
            `${at(started)}-${at(performance.now())} ${kind}: ${
              String(error).slice(0, 100)
            }`,
          );
        }
      }
    }
  };
  const running = [
    ...Array.from({ length: clients }, () => client("http", web)),
    ...Array.from({ length: clients }, () => client("tcp", raw)),
  ];
  return {
    load,
    stop: async () => {
      load.done = true;
      clearInterval(stalls);
      await Promise.all(running);
    },
  };
}

function portOf(aio: CliProcess, server: string): number {
  const found = new RegExp(`Server ${server} listening on [^\\n]*:(\\d+)`)
    .exec(aio.stderr);
  if (!found) throw new Error(`no port for ${server}`);
  return Number(found[1]);
}

/** The latest pid of each worker slot. */
function workerPids(aio: CliProcess): Map<number, number> {
  const pids = new Map<number, number>();
  for (
    const [, slot, pid] of aio.stderr.matchAll(
      /Worker (\d+) started: pid (\d+)/g,
    )
  ) pids.set(Number(slot), Number(pid));
  return pids;
}

/** When (epoch ms) aio logged that the worker `pid` started; its log's times are local. */
function startedAtWall(aio: CliProcess, pid: number): number | undefined {
  const found = new RegExp(
    `^(\\d{4}-\\d\\d-\\d\\d) (\\d\\d:\\d\\d:\\d\\d),(\\d{3}) \\S+ Worker \\d+ started: pid ${pid}$`,
    "m",
  ).exec(aio.stderr);
  return found
    ? new Date(`${found[1]}T${found[2]}.${found[3]}`).getTime()
    : undefined;
}

function exitedPids(aio: CliProcess): Set<number> {
  return new Set(
    [...aio.stderr.matchAll(/Worker \d+ \(pid (\d+)\) (?:exited|was killed)/g)]
      .map((found) => Number(found[1])),
  );
}

async function until(
  check: () => boolean,
  ms: number,
  what: string,
): Promise<void> {
  const end = performance.now() + ms;
  while (!check()) {
    if (performance.now() > end) {
      throw new Error(`not within ${ms} ms: ${what}`);
    }
    await sleep(10);
  }
}

function reloadSeq(
  path: string,
): { seq: number; outcome: string; errors: string[] } | undefined {
  try {
    return JSON.parse(Deno.readTextFileSync(path));
  } catch {
    return undefined;
  }
}

async function stopAio(aio: CliProcess, failures: string[]): Promise<void> {
  aio.kill("SIGTERM");
  const result = await aio.done();
  if (result.code !== 0) failures.push(`aio run exited ${result.code}`);
}

/** (a), (b) and (c): one app under load. */
async function underLoad(
  options: Required<WorkersOptions>,
  failures: string[],
  figures: Record<string, unknown>,
): Promise<void> {
  const dir = await tempApp(CONFIG, { "answer.ts": answerModule("v0") });
  const outcome = `${dir}/aio.pid.reload.json`;
  const aio = new CliProcess(["run", "--pidfile", "aio.pid"], { cwd: dir });
  try {
    await aio.waitFor(/Worker 2 started/);
    const valid = new Set(["v0\n"]);
    const { load, stop } = startLoad(
      portOf(aio, "web"),
      portOf(aio, "raw"),
      options.clients,
      valid,
    );
    try {
      await sleep(1000);
      // (a) Rolling reloads.
      const took: number[] = [];
      let switched = 0;
      for (let reload = 1; reload <= options.reloads; reload++) {
        const answer = `v${reload}\n`;
        const old = [...workerPids(aio).values()];
        await Deno.writeTextFile(
          `${dir}/answer.ts`,
          answerModule(`v${reload}`),
        );
        valid.add(answer);
        const started = performance.now();
        aio.kill("SIGHUP");
        await until(
          () => (reloadSeq(outcome)?.seq ?? 0) >= reload,
          60_000,
          `reload ${reload}'s outcome`,
        );
        took.push(performance.now() - started);
        const result = reloadSeq(outcome)!;
        if (result.outcome !== "reloaded") {
          failures.push(`reload ${reload}: ${JSON.stringify(result)}`);
          continue;
        }
        await until(
          () => old.every((pid) => exitedPids(aio).has(pid)),
          30_000,
          `the old workers of reload ${reload} exit`,
        );
        // Now only the new answer may come to a request sent from here on.
        load.answers.clear();
        load.since = performance.now();
        await until(() => load.answers.size > 0, 5000, "answers");
        await sleep(100);
        if ([...load.answers.keys()].every((text) => text === answer)) {
          switched++;
        } else {
          failures.push(
            `reload ${reload}: answers after it: ${
              JSON.stringify([...load.answers.keys()])
            }`,
          );
        }
      }
      figures["rolling reloads"] = options.reloads;
      figures["reloads whose answers switched"] = switched;
      figures["reload time (s), median / max"] = `${
        (median(took) / 1000).toFixed(2)
      } / ${(Math.max(...took) / 1000).toFixed(2)}`;
      figures["requests during reloads: ok / failed / refused"] =
        `${load.ok} / ${load.failed} / ${load.refused}`;
      figures[
        "load process: longest event-loop stall (s); stalls of 2 s or more"
      ] = `${(load.longestStallMs / 1000).toFixed(2)}; ${load.longStalls}`;
      if (load.failed || load.refused) {
        failures.push(
          `reloads: ${load.failed} failed, ${load.refused} refused: ${
            load.failures.slice(0, 10).join("; ")
          }`,
        );
      }
      // (b) Kill -9 a worker under load.
      const okBefore = load.ok;
      const failedBefore = load.failed;
      const refusedBefore = load.refused;
      const back: number[] = [];
      let emptyWindows = 0;
      for (let kill = 0; kill < options.kills; kill++) {
        const slot = 1 + (kill % 2);
        const pid = workerPids(aio).get(slot)!;
        const killedAt = performance.now();
        const killedAtWall = Date.now();
        Deno.kill(pid, "SIGKILL");
        await until(
          () => (workerPids(aio).get(slot) ?? pid) !== pid,
          10_000,
          `worker ${slot} back after kill ${kill + 1}`,
        );
        // When the supervisor logged the new worker's start: this process
        // may read aio's output late while its clients keep it busy.
        const logged = startedAtWall(aio, workerPids(aio).get(slot)!);
        const backAt = logged === undefined
          ? performance.now()
          : killedAt + (logged - killedAtWall);
        back.push(backAt - killedAt);
        // Every 100 ms while it was down, the survivor answered.
        for (
          let bucket = Math.floor(killedAt / 100) + 1;
          bucket < Math.floor(backAt / 100);
          bucket++
        ) {
          if (!load.buckets.get(bucket)) emptyWindows++;
        }
        await sleep(1500);
      }
      const lost = load.failed - failedBefore;
      figures["kills: back after (s), median / max"] = `${
        (median(back) / 1000).toFixed(2)
      } / ${(Math.max(...back) / 1000).toFixed(2)}`;
      figures["kills: requests ok / lost with the killed worker / refused"] =
        `${load.ok - okBefore} / ${lost} / ${load.refused - refusedBefore}`;
      figures["kills: 100 ms windows with no answer while a worker was down"] =
        emptyWindows;
      if (Math.max(...back) > 2000) {
        failures.push(
          `a killed worker took ${
            (Math.max(...back) / 1000).toFixed(2)
          } s to come back (limit 2 s)`,
        );
      }
      if (emptyWindows > 0) {
        failures.push(`${emptyWindows} windows of 100 ms with no answer`);
      }
      if (load.refused > refusedBefore) {
        failures.push(`${load.refused - refusedBefore} refused during kills`);
      }
    } finally {
      await stop();
    }
    // (c) A broken config.
    const before = [...workerPids(aio).values()];
    const seq = reloadSeq(outcome)?.seq ?? 0;
    await Deno.writeTextFile(
      `${dir}/aio.conf`,
      CONFIG.replace("workers = 2", "workers = 2\nshutdown_timeout = soon"),
    );
    aio.kill("SIGHUP");
    await until(
      () => (reloadSeq(outcome)?.seq ?? 0) > seq,
      30_000,
      "the broken reload's outcome",
    );
    const broken = reloadSeq(outcome)!;
    const kept = [...workerPids(aio).values()];
    const still = await ask("http", portOf(aio, "web"));
    figures["broken config: outcome"] = `${broken.outcome}: ${
      broken.errors[0]
    }`;
    if (
      broken.outcome !== "failed" ||
      !/aio\.conf:3: \[aio\] shutdown_timeout/.test(broken.errors[0] ?? "") ||
      JSON.stringify(kept) !== JSON.stringify(before) ||
      still !== `v${options.reloads}\n`
    ) {
      failures.push(
        `broken config: ${
          JSON.stringify(broken)
        }, workers ${before} -> ${kept}, answer ${still}`,
      );
    }
  } finally {
    await stopAio(aio, failures);
    if (Deno.env.get("AIO_STRESS_LOG")) {
      await Deno.writeTextFile(Deno.env.get("AIO_STRESS_LOG")!, aio.stderr);
    }
    await Deno.remove(dir, { recursive: true });
  }
}

/** (d) A crash loop for 10 s. */
async function crashLoop(
  failures: string[],
  figures: Record<string, unknown>,
): Promise<void> {
  const dir = await tempApp(`[aio]
workers = 2

[listen/crash]
aio-started = ${FIXTURE}app.ts#crashSoon
`);
  const aio = new CliProcess(["run"], { cwd: dir });
  try {
    await aio.waitFor(/Worker 2 started/);
    const cpuBefore = cpuSeconds(aio.child.pid);
    await sleep(10_000);
    const cpu = cpuSeconds(aio.child.pid) - cpuBefore;
    const restarts = [
      ...aio.stderr.matchAll(/Worker 1 \(pid \d+\) exited with code 3/g),
    ].length;
    figures["crash loop: worker 1 restarts in 10 s"] = restarts;
    figures["crash loop: supervisor CPU (s) in 10 s"] = cpu.toFixed(2);
    // 0.1 + 0.2 + ... + 3.2 s of waiting plus a start of about 0.3 s each:
    // 7 exits in 10 s; without the backoff a start each, about 25.
    if (restarts > 8) failures.push(`crash loop: ${restarts} restarts in 10 s`);
    if (restarts < 3) failures.push(`crash loop: only ${restarts} restarts`);
    if (cpu > 0.5) failures.push(`crash loop: supervisor used ${cpu} s of CPU`);
  } finally {
    await stopAio(aio, failures);
    await Deno.remove(dir, { recursive: true });
  }
}

function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Runs (a) to (d). */
export async function workerProcesses(
  options: WorkersOptions = {},
): Promise<PartResult> {
  const settings = {
    reloads: options.reloads ?? 100,
    kills: options.kills ?? 10,
    clients: options.clients ?? 200,
  };
  const failures: string[] = [];
  const figures: Record<string, unknown> = {};
  const migrate = Deno.readTextFileSync("/proc/sys/net/ipv4/tcp_migrate_req")
    .trim();
  figures["net.ipv4.tcp_migrate_req"] = migrate;
  if (migrate !== "1") {
    failures.push(
      "net.ipv4.tcp_migrate_req is 0: connections queued on a draining worker's socket are reset (sysctl -w net.ipv4.tcp_migrate_req=1)",
    );
  }
  await underLoad(settings, failures, figures);
  await crashLoop(failures, figures);
  return { name: NAME, ok: failures.length === 0, figures, failures };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      reloads: { type: "string" },
      kills: { type: "string" },
      clients: { type: "string" },
    },
  });
  const { printResult, timed } = await import("./_common.ts");
  const result = await timed(NAME, () =>
    workerProcesses({
      reloads: values.reloads ? Number(values.reloads) : undefined,
      kills: values.kills ? Number(values.kills) : undefined,
      clients: values.clients ? Number(values.clients) : undefined,
    }));
  printResult(result);
  Deno.exit(result.ok ? 0 : 1);
}
