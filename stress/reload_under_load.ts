// Part 13: reload under load loses nothing (issue 15, "Measured"). One
// `aio run` serves HTTP and TCP to 200 + 200 busy clients while it is
// reloaded 100 times by SIGHUP, each reload changing the module's code (the
// version in every answer). Checked: no request failed, no connection was
// refused, every answer whole and correct, answers switch to the new code
// (nothing answered by code older than a reload that had finished; an open
// TCP connection stays on the code it began on), and what the server
// answered is what the clients received. Then a reload with a broken config
// under the same load: `aio reload` exits 78 naming the error and the old
// code keeps serving. RSS is sampled after every reload.
//
//   deno run -A stress/reload_under_load.ts [--reloads 100] [--clients 200] [--seed N] [--control]
//
// --control runs the same load and steps with no reload: the RSS the load
// alone adds, to compare the reloads' RSS figure with.
import { parseArgs } from "node:util";
import {
  median,
  type PartResult,
  prng,
  runAlone,
  seedFrom,
  sleep,
} from "./_common.ts";
import { type ClientStats, newStats, runClients } from "./_clients.ts";
import {
  httpSession,
  newVersionStats,
  type ReloadControl,
  tcpSession,
  type VersionStats,
} from "./_reload_clients.ts";
import { CliProcess, runCli } from "../tests/e2e/_cli.ts";
import { rssKb } from "./_stress_app.ts";

/** Title of this part in STRESS.md. */
export const NAME = "13. Reload under load loses nothing";

/** Options for {@linkcode reloadUnderLoad}. */
export interface ReloadOptions {
  /** How many reloads (default 100). */
  reloads?: number;
  /** Clients of each kind (default 200 HTTP and 200 TCP). */
  clients?: number;
  /** The seed for the pauses and requests. */
  seed?: number;
  /**
   * A control for the RSS figure: the same load and the same steps, each
   * as long as a reload under load takes, with no reload. Only RSS is
   * reported.
   */
  control?: boolean;
}

/** How long a control step stands in for a reload (ms): about a reload's median under load. */
const CONTROL_STEP_MS = 70;

const MOD = new URL("../mod.ts", import.meta.url).href;

/** The app's module at `version`: every answer says which version gave it. */
function appModule(version: number): string {
  return `import { app } from "${MOD}";
const VERSION = ${version};
// Counters shared by every version of the module.
const counts = ((globalThis as Record<string, unknown>).reloadCounts ??= { http: 0, tcp: 0 }) as { http: number; tcp: number };
function padding(size: number): string {
  return "x".repeat(Math.max(0, Math.min(size, 4_000_000)));
}
export function handle(request: Request): Response {
  const params = new URL(request.url).searchParams;
  counts.http++;
  return new Response(\`ok \${params.get("id")} v\${VERSION}\\n\${padding(Number(params.get("size") ?? 0))}\`);
}
const decoder = new TextDecoder();
export class SumProtocol {
  transport?: { write(data: string): void };
  pending = "";
  connectionMade(transport: { write(data: string): void }) {
    this.transport = transport;
  }
  dataReceived(data: Uint8Array) {
    this.pending += decoder.decode(data, { stream: true });
    let newline: number;
    while ((newline = this.pending.indexOf("\\n")) >= 0) {
      const [id, a, b, size] = this.pending.slice(0, newline).split(" ");
      this.pending = this.pending.slice(newline + 1);
      counts.tcp++;
      this.transport!.write(\`\${id} \${Number(a) + Number(b)} v\${VERSION} \${padding(Number(size))}\\n\`);
    }
  }
}
export function started() {
  const port = (name: string) => (app.servers[name].addr as Deno.NetAddr).port;
  console.log("PORTS " + JSON.stringify({ http: port("http"), tcp: port("tcp") }));
}
export function reloaded() {
  const last = app.lastReload!;
  console.log(\`RELOADED \${last.seq} \${last.outcome} \${VERSION} \${Math.round(last.durationMs)} \${Date.now()}\`);
}
export function stopped() {
  console.log("STOPPED " + JSON.stringify(counts));
}
`;
}

const CONFIG = `[aio]
modules = ./reload_app.ts
log_level = WARNING
shutdown_timeout = 5

[server/http]
handler = ./reload_app.ts#handle
address = 127.0.0.1
port = 0

[server/tcp]
protocol = ./reload_app.ts#SumProtocol
address = 127.0.0.1
port = 0

[listen/marks]
aio-started = ./reload_app.ts#started
aio-reloaded = ./reload_app.ts#reloaded
aio-stopped = ./reload_app.ts#stopped
`;

/** How long one reload may take before the part gives up on it (ms). */
const RELOAD_WAIT_MS = 30_000;

/** Whether `promise` settled within `ms`. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs the reloads under load and sums them up. */
export async function reloadUnderLoad(
  options: ReloadOptions = {},
): Promise<PartResult> {
  const reloads = options.reloads ?? 100;
  const clients = options.clients ?? 200;
  const seed = options.seed ?? seedFrom(undefined);
  const random = prng(seed);
  const failures: string[] = [];
  const dir = await Deno.makeTempDir({ prefix: "aio_reload_stress_" });
  await Deno.writeTextFile(`${dir}/aio.conf`, CONFIG);
  await Deno.writeTextFile(`${dir}/reload_app.ts`, appModule(0));
  const aio = new CliProcess(["run", "--pidfile", "aio.pid"], { cwd: dir });
  try {
    await aio.waitFor(/^PORTS .*$/m);
    const ports = JSON.parse(aio.stdout.match(/^PORTS (.*)$/m)![1]);
    const rssStart = rssKb(aio.child.pid);
    const control: ReloadControl = {
      done: false,
      random,
      nextId: 1,
      maxSize: 16 * 1024,
      largeShare: 0.02,
      largeSize: 1_000_000,
      slowShare: 0.1,
      maxRequests: 8,
      pauseMs: 0,
      reloaded: 0,
    };
    const http = newStats();
    const tcp = newStats();
    const httpVersions = newVersionStats();
    const tcpVersions = newVersionStats();
    const load = Promise.all([
      runClients(clients, httpSession(httpVersions), ports.http, http, control),
      runClients(clients, tcpSession(tcpVersions), ports.tcp, tcp, control),
    ]);
    await sleep(500);
    const rssLoaded = rssKb(aio.child.pid);

    // 100 reloads, each to new code; the next once the last has finished.
    const latencies: number[] = [];
    const inAio: number[] = [];
    const durations: number[] = [];
    const rss: number[] = [];
    const stepsFrom = performance.now();
    const perSecond = () =>
      ((rss.at(-1)! - rssLoaded) / ((performance.now() - stepsFrom) / 1000))
        .toFixed(0);
    if (options.control) {
      for (let step = 1; step <= reloads; step++) {
        await sleep(CONTROL_STEP_MS);
        rss.push(rssKb(aio.child.pid));
        await sleep(random() * 100);
      }
      control.done = true;
      await load;
      return {
        name: `${NAME} (control: no reload)`,
        ok: http.lost + tcp.lost + http.refused + tcp.refused === 0,
        figures: {
          seed,
          steps: `${reloads} of ${CONTROL_STEP_MS} ms, no reload`,
          "requests answered in full": http.complete + tcp.complete,
          "RSS before load / under load before the first step / after the last (MB)":
            `${mb(rssStart)} / ${mb(rssLoaded)} / ${mb(rss.at(-1)!)}`,
          "RSS growth per step under load (KB, least squares)": slope(rss)
            .toFixed(0),
          "RSS growth per second under load (KB)": perSecond(),
        },
        failures: [],
      };
    }
    for (let version = 1; version <= reloads; version++) {
      await Deno.writeTextFile(`${dir}/reload_app.ts`, appModule(version));
      const sentAt = performance.now();
      const sentWall = Date.now();
      aio.kill("SIGHUP");
      const line = new RegExp(
        `^RELOADED (\\d+) (\\w+) ${version} (\\d+) (\\d+)$`,
        "m",
      );
      if (!await within(aio.waitFor(line), RELOAD_WAIT_MS)) {
        failures.push(
          `reload ${version}: no aio-reloaded within ${RELOAD_WAIT_MS} ms`,
        );
        break;
      }
      latencies.push(performance.now() - sentAt);
      const [, seq, outcome, duration, printedAt] = aio.stdout.match(line)!;
      inAio.push(Number(printedAt) - sentWall);
      durations.push(Number(duration));
      if (outcome !== "reloaded" || Number(seq) !== version) {
        failures.push(`reload ${version}: ${outcome} (seq ${seq})`);
      }
      control.reloaded = version;
      rss.push(rssKb(aio.child.pid));
      await sleep(random() * 100);
    }
    const rssPerSecond = perSecond();
    const reloadSeconds = (performance.now() - stepsFrom) / 1000;
    await sleep(500);

    // A broken config under the same load: refused, the old code serves on.
    const highestBefore = Math.max(httpVersions.highest, tcpVersions.highest);
    await Deno.writeTextFile(
      `${dir}/aio.conf`,
      CONFIG.replace(
        "handler = ./reload_app.ts#handle",
        "handler = ./reload_app.ts#nope",
      ),
    );
    const completeBefore = http.complete + tcp.complete;
    const broken = await runCli(["reload", "--pidfile", "aio.pid"], {
      cwd: dir,
    });
    await sleep(500);
    const servedDuringBroken = http.complete + tcp.complete - completeBefore;
    if (broken.code !== 78) {
      failures.push(
        `aio reload with a broken config exited ${broken.code}: ${broken.stderr.trim()}`,
      );
    }
    const expectedError =
      /^aio: config error: .*aio\.conf:7: \[server\/http\] handler: Module '\.\/reload_app\.ts' has no export 'nope'/;
    if (!expectedError.test(broken.stderr)) {
      failures.push(
        `aio reload printed ${JSON.stringify(broken.stderr.trim())}`,
      );
    }
    if (servedDuringBroken === 0) {
      failures.push("nothing served after the broken reload");
    }
    await Deno.writeTextFile(`${dir}/aio.conf`, CONFIG);

    control.done = true;
    await load;
    aio.kill("SIGTERM");
    const result = await aio.done();
    if (result.code !== 0) failures.push(`aio exited ${result.code}`);
    const stopped = result.stdout.match(/^STOPPED (.*)$/m);
    const answered = stopped
      ? JSON.parse(stopped[1]) as { http: number; tcp: number }
      : undefined;
    if (!answered) failures.push("aio-stopped did not run");
    const highest = Math.max(httpVersions.highest, tcpVersions.highest);
    if (highest !== reloads) {
      failures.push(
        `the highest version answered was v${highest}, not v${reloads}`,
      );
    }
    if (highestBefore !== reloads) {
      failures.push(
        `before the broken reload the highest version was v${highestBefore}`,
      );
    }
    for (
      const [kind, stats, versions] of [["http", http, httpVersions], [
        "tcp",
        tcp,
        tcpVersions,
      ]] as const
    ) {
      check(kind, stats, versions, answered?.[kind], failures);
    }
    if (/panic|uncaught/i.test(result.stderr)) {
      failures.push(`stderr: ${result.stderr.trim().split("\n")[0]}`);
    }
    const growth = slope(rss);
    return {
      name: NAME,
      ok: failures.length === 0,
      figures: {
        seed,
        clients: `${clients} HTTP + ${clients} TCP`,
        reloads: `${reloads} (SIGHUP), each changing the module's code`,
        "requests answered in full": http.complete + tcp.complete,
        "failed requests (cut, wrong, not accepted)": http.lost + tcp.lost +
          http.notAccepted + tcp.notAccepted,
        "refused connections": http.refused + tcp.refused,
        "answers from code older than a finished reload": httpVersions.stale +
          tcpVersions.stale,
        "TCP connections that changed code midway":
          tcpVersions.mixedConnections,
        "highest version answered": highest,
        "reload, SIGHUP to aio-reloaded's line printed (wall clock): median / max ms":
          `${median(inAio)} / ${Math.max(...inAio)}`,
        "reload, SIGHUP to that line read by the load process: median / max ms":
          `${median(latencies).toFixed(0)} / ${
            Math.max(...latencies).toFixed(0)
          }`,
        "reload inside aio: median / max ms": `${median(durations)} / ${
          Math.max(...durations)
        }`,
        "broken config: aio reload exit": broken.code,
        "answers served in the 0.5 s after the broken reload":
          servedDuringBroken,
        "RSS before load / under load before the first reload / after the last (MB)":
          `${mb(rssStart)} / ${mb(rssLoaded)} / ${mb(rss.at(-1)!)}`,
        "RSS growth per reload under load (KB, least squares)": growth.toFixed(
          0,
        ),
        "RSS growth per second under load (KB)": rssPerSecond,
        "seconds of reloads": reloadSeconds.toFixed(1),
      },
      failures,
    };
  } finally {
    try {
      aio.kill("SIGKILL");
    } catch {
      // It stopped.
    }
    await aio.done();
    await Deno.remove(dir, { recursive: true });
  }
}

function check(
  kind: string,
  stats: ClientStats,
  versions: VersionStats,
  answeredByServer: number | undefined,
  failures: string[],
): void {
  if (stats.lost > 0) {
    failures.push(
      `${kind}: ${stats.lost} lost: ${stats.lossDetails.join("; ")}`,
    );
  }
  if (stats.notAccepted > 0) {
    failures.push(`${kind}: ${stats.notAccepted} requests not accepted`);
  }
  if (stats.refused > 0) {
    failures.push(`${kind}: ${stats.refused} connections refused`);
  }
  if (stats.connectFailed > 0) {
    failures.push(`${kind}: ${stats.connectFailed} connects failed`);
  }
  if (stats.complete === 0) failures.push(`${kind}: no request was answered`);
  if (answeredByServer !== undefined && answeredByServer !== stats.complete) {
    failures.push(
      `${kind}: the server answered ${answeredByServer} requests, the clients got ${stats.complete} in full`,
    );
  }
  if (
    versions.stale > 0 || versions.mixedConnections > 0 ||
    versions.backwards > 0
  ) {
    failures.push(`${kind}: version problems: ${versions.details.join("; ")}`);
  }
}

function mb(kb: number): string {
  return (kb / 1024).toFixed(0);
}

/** The least-squares slope of `values` against their index. */
function slope(values: number[]): number {
  const n = values.length;
  if (n < 2) return 0;
  const meanX = (n - 1) / 2;
  const meanY = values.reduce((sum, value) => sum + value, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (i - meanX) * (values[i] - meanY);
    den += (i - meanX) ** 2;
  }
  return num / den;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      reloads: { type: "string" },
      clients: { type: "string" },
      seed: { type: "string" },
      control: { type: "boolean" },
    },
  });
  await runAlone(NAME, () =>
    reloadUnderLoad({
      reloads: values.reloads ? Number(values.reloads) : undefined,
      clients: values.clients ? Number(values.clients) : undefined,
      seed: seedFrom(values.seed),
      control: values.control,
    }));
}
