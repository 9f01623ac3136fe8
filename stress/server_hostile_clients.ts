// Part 10: operator faults on the server side (issue 12, items 10 and 11).
//
// a. File descriptor exhaustion: `aio run` under `ulimit -n 256` with a TCP
//    and an HTTP server, flooded with 300 idle connections each, round after
//    round. aio must not crash, must log each episode, and must serve again
//    on the same ports once the connections are gone. Also: under a soft
//    limit of 1024 (systemd's default) the soft limit is raised to the hard
//    one, and 1000 idle connections are held without a failed accept.
// b. Slowloris: clients that send a partial request and then trickle a
//    byte slower than `idle_timeout` are closed after it; clients that
//    trickle faster stay (idle_timeout measures silence, not progress);
//    Deno.serve keeps both kinds (it has no idle timeout to set).
// c. max_connections: 200 clients against a limit of 50: never more than
//    50 held at once, every client served.
//
//   deno run -A stress/server_hostile_clients.ts [--rounds 5] [--slow-seconds 12]
import { parseArgs } from "node:util";
import { CLI } from "../tests/e2e/_cli.ts";
import { median, type PartResult, ROOT, runAlone, sleep } from "./_common.ts";
import { fdCount } from "./_stress_app.ts";

/** Title of this part in STRESS.md. */
export const NAME = "10. Operator faults: file descriptors and hostile clients";

/** Options for {@linkcode serverHostileClients}. */
export interface HostileClientsOptions {
  /** Exhaustion rounds (default 5). */
  rounds?: number;
  /** How long the slowloris clients are watched, in seconds (default 12). */
  slowSeconds?: number;
}

const ECHO = `${ROOT}/tests/fixtures/stress/echo.ts`;
const PORTS = `${ROOT}/tests/fixtures/app/ports.ts`;
const COUNTING = `${ROOT}/tests/fixtures/stress/counting_echo.ts`;
const encoder = new TextEncoder();

/** `aio run` in `dir`, under `ulimit` settings, its output collected. */
class LimitedAio {
  readonly child: Deno.ChildProcess;
  output = "";
  readonly #reading: Promise<unknown>;

  constructor(dir: string, ulimit: string) {
    this.child = new Deno.Command("sh", {
      args: [
        "-c",
        `ulimit ${ulimit} && exec "$0" "$@"`,
        Deno.execPath(),
        "run",
        "-A",
        CLI,
        "run",
      ],
      cwd: dir,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#reading = Promise.all(
      [this.child.stdout, this.child.stderr].map(async (stream) => {
        for await (const text of stream.pipeThrough(new TextDecoderStream())) {
          this.output += text;
        }
      }),
    );
  }

  async waitFor(pattern: RegExp, ms = 30_000): Promise<RegExpExecArray> {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      const match = pattern.exec(this.output);
      if (match) return match;
      await sleep(20);
    }
    throw new Error(`no ${pattern} within ${ms} ms`);
  }

  alive(): boolean {
    try {
      Deno.kill(this.child.pid, "SIGCONT");
      return true;
    } catch {
      return false;
    }
  }

  async stop(): Promise<number> {
    try {
      this.child.kill("SIGTERM");
    } catch {
      // Ended already.
    }
    const status = await this.child.status;
    await this.#reading;
    return status.code;
  }
}

async function appDir(servers: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "aio_hostile_" });
  await Deno.writeTextFile(
    `${dir}/aio.conf`,
    `[aio]\nshutdown_timeout = 2\n\n[listen/ports]\naio-started = ${PORTS}#printPorts\n\n${servers}`,
  );
  return dir;
}

async function connectAll(port: number, count: number): Promise<Deno.Conn[]> {
  const conns: Deno.Conn[] = [];
  for (let i = 0; i < count; i++) {
    try {
      conns.push(await Deno.connect({ hostname: "127.0.0.1", port }));
    } catch {
      // Refused while Deno.serve restarts.
    }
  }
  return conns;
}

/** Milliseconds until `attempt` succeeds (retried every 20 ms), or Infinity after `ms`. */
async function timeUntil(
  attempt: () => Promise<void>,
  ms = 15_000,
): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < ms) {
    try {
      await attempt();
      return performance.now() - started;
    } catch {
      await sleep(20);
    }
  }
  return Infinity;
}

async function echoOnce(port: number): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(encoder.encode("ping"));
    const buffer = new Uint8Array(4);
    const count = await conn.read(buffer);
    if (count !== 4) throw new Error("no echo");
  } finally {
    conn.close();
  }
}

async function httpOnce(port: number): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${port}/`);
  if ((await response.text()) !== "ok 0\n") throw new Error("bad answer");
}

function closeAll(conns: Deno.Conn[]): void {
  for (const conn of conns) {
    try {
      conn.close();
    } catch {
      // Closed by the server already.
    }
  }
}

const PROTOCOL_SERVERS = `[server/echo]
protocol = ${ECHO}#Echo
address = 127.0.0.1
port = 0

[server/http]
handler = ${ECHO}#echoHttp
address = 127.0.0.1
port = 0
`;

/** a. Floods under `ulimit -n 256`, round after round. */
async function exhaustion(rounds: number, failures: string[]) {
  const dir = await appDir(PROTOCOL_SERVERS);
  const aio = new LimitedAio(dir, "-n 256");
  const backTcp: number[] = [];
  const backHttp: number[] = [];
  let fdsBefore = 0;
  let fdsAfter = 0;
  try {
    const ports = JSON.parse((await aio.waitFor(/PORTS (\{.*\})/))[1]);
    await echoOnce(ports.echo);
    await httpOnce(ports.http);
    fdsBefore = fdCount(aio.child.pid);
    for (let round = 1; round <= rounds; round++) {
      const held = [
        ...await connectAll(ports.echo, 300),
        ...await connectAll(ports.http, 300),
      ];
      await sleep(1500);
      if (!aio.alive()) {
        failures.push(`exhaustion round ${round}: aio died`);
        closeAll(held);
        break;
      }
      closeAll(held);
      backTcp.push(await timeUntil(() => echoOnce(ports.echo)));
      backHttp.push(await timeUntil(() => httpOnce(ports.http)));
      if (!Number.isFinite(backTcp.at(-1)!)) {
        failures.push(`exhaustion round ${round}: tcp not served again`);
      }
      if (!Number.isFinite(backHttp.at(-1)!)) {
        failures.push(`exhaustion round ${round}: http not served again`);
      }
    }
    await sleep(2500);
    fdsAfter = fdCount(aio.child.pid);
  } finally {
    const code = await aio.stop();
    if (code !== 0) failures.push(`exhaustion: exit code ${code}`);
    await Deno.remove(dir, { recursive: true });
  }
  const count = (pattern: RegExp) => (aio.output.match(pattern) ?? []).length;
  if (/panicked|Uncaught/.test(aio.output)) {
    failures.push("exhaustion: a panic or uncaught error in the output");
  }
  if (count(/Server echo .*accept failed/g) === 0) {
    failures.push("exhaustion: the tcp server never reported a failed accept");
  }
  if (fdsAfter > fdsBefore) {
    failures.push(`exhaustion: fds grew from ${fdsBefore} to ${fdsAfter}`);
  }
  const seconds = (values: number[]) =>
    `${(median(values) / 1000).toFixed(2)} / ${
      (Math.max(...values) / 1000).toFixed(2)
    }`;
  return {
    "exhaustion rounds (ulimit -n 256, 300 idle connections to tcp and to http)":
      rounds,
    "aio alive after every round": !failures.some((f) => f.includes("died")),
    "served again after release, tcp: median / max s": seconds(backTcp),
    "served again after release, http: median / max s": seconds(backHttp),
    "log lines 'accept failed' / 'still failing' / 'accepting again'": `${
      count(/accept failed/g)
    } / ${count(/still failing/g)} / ${count(/accepting again/g)}`,
    "open fds before / after": `${fdsBefore} / ${fdsAfter}`,
  };
}

/** a'. systemd's default soft limit: raised by Deno, 1000 idle connections held. */
async function systemdLimit(failures: string[]) {
  const dir = await appDir(PROTOCOL_SERVERS);
  const aio = new LimitedAio(dir, "-S -n 1024");
  let soft = "";
  let held = 0;
  try {
    const ports = JSON.parse((await aio.waitFor(/PORTS (\{.*\})/))[1]);
    const limits = Deno.readTextFileSync(`/proc/${aio.child.pid}/limits`);
    soft = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits)!.slice(1).join(
      " / ",
    );
    const conns = await connectAll(ports.echo, 1000);
    held = conns.length;
    await echoOnce(ports.echo);
    closeAll(conns);
  } finally {
    await aio.stop();
    await Deno.remove(dir, { recursive: true });
  }
  if (/accept failed/.test(aio.output)) {
    failures.push("systemd limit: accept failed with 1000 connections");
  }
  return {
    "ulimit -S -n 1024: aio's soft / hard limit": soft,
    "ulimit -S -n 1024: idle connections held, then served": held,
  };
}

/** b. Slowloris against idle_timeout = 2 (tcp), and against Deno.serve. */
async function slowloris(watchSeconds: number, failures: string[]) {
  const idleTimeout = 2;
  const dir = await appDir(`[server/echo]
protocol = ${ECHO}#Echo
address = 127.0.0.1
port = 0
idle_timeout = ${idleTimeout}

[server/http]
handler = ${ECHO}#echoHttp
address = 127.0.0.1
port = 0
`);
  const aio = new LimitedAio(dir, "-n 4096");
  const closedAfter: number[] = [];
  let fastOpen = 0;
  let httpOpen = 0;
  const slowCount = 50;
  const fastCount = 10;
  try {
    const ports = JSON.parse((await aio.waitFor(/PORTS (\{.*\})/))[1]);
    /** Sends a partial request, then a byte every `everyMs`; resolves with the ms between its last byte and the server's close, or -1 if still open at the end. */
    const trickle = async (
      port: number,
      everyMs: number,
    ): Promise<number> => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      const end = performance.now() + watchSeconds * 1000;
      let lastSent = performance.now();
      await conn.write(encoder.encode("GET / HTTP/1.1\r\nHost: x\r\n"));
      // Echoes come back; the server closing is the end of the stream.
      const closed = (async () => {
        const buffer = new Uint8Array(1024);
        try {
          while (await conn.read(buffer) !== null) { /* an echo */ }
        } catch {
          // Reset by the server: closed as well.
        }
        return performance.now();
      })();
      try {
        while (performance.now() < end) {
          const tick = await Promise.race([closed, sleep(everyMs)]);
          if (typeof tick === "number") return tick - lastSent;
          try {
            await conn.write(encoder.encode("X"));
            lastSent = performance.now();
          } catch {
            return (await closed) - lastSent;
          }
        }
        return -1;
      } finally {
        conn.close();
      }
    };
    const slow = Array.from(
      { length: slowCount },
      () => trickle(ports.echo, (idleTimeout + 1) * 1000),
    );
    const fast = Array.from(
      { length: fastCount },
      () => trickle(ports.echo, 500),
    );
    const http = Array.from(
      { length: fastCount },
      () => trickle(ports.http, (idleTimeout + 1) * 1000),
    );
    for (const ms of await Promise.all(slow)) {
      if (ms < 0) failures.push("slowloris: a slow trickler was never closed");
      else closedAfter.push(ms);
    }
    fastOpen = (await Promise.all(fast)).filter((ms) => ms < 0).length;
    httpOpen = (await Promise.all(http)).filter((ms) => ms < 0).length;
  } finally {
    await aio.stop();
    await Deno.remove(dir, { recursive: true });
  }
  const early = closedAfter.filter((ms) => ms < idleTimeout * 1000 - 50);
  const late = closedAfter.filter((ms) => ms > idleTimeout * 1000 + 1000);
  if (early.length) {
    failures.push(`slowloris: ${early.length} closed before idle_timeout`);
  }
  if (late.length) {
    failures.push(`slowloris: ${late.length} closed over 1 s late`);
  }
  return {
    [
      `slowloris on tcp, idle_timeout = ${idleTimeout}: ${slowCount} clients trickling a byte every ${
        idleTimeout + 1
      } s, closed after their last byte min / median / max s`
    ]: closedAfter
        .length
      ? `${(Math.min(...closedAfter) / 1000).toFixed(2)} / ${
        (median(closedAfter) / 1000).toFixed(2)
      } / ${(Math.max(...closedAfter) / 1000).toFixed(2)}`
      : "none",
    [`clients trickling every 0.5 s, still open after ${watchSeconds} s (idle_timeout measures silence)`]:
      `${fastOpen} of ${fastCount}`,
    [`slowloris on Deno.serve (no idle timeout there), still open after ${watchSeconds} s`]:
      `${httpOpen} of ${fastCount}`,
  };
}

/** c. 200 clients against max_connections = 50. */
async function maxConnections(failures: string[]) {
  const limit = 50;
  const dir = await appDir(`[listen/peak]
aio-stopping = ${COUNTING}#printPeak

[server/echo]
protocol = ${COUNTING}#CountingEcho
address = 127.0.0.1
port = 0
max_connections = ${limit}
`);
  const aio = new LimitedAio(dir, "-n 4096");
  let served = 0;
  let peak = 0;
  let baseline = 0;
  const clients = 200;
  try {
    const ports = JSON.parse((await aio.waitFor(/PORTS (\{.*\})/))[1]);
    baseline = fdCount(aio.child.pid);
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, fdCount(aio.child.pid) - baseline);
        await sleep(5);
      }
    })();
    await Promise.all(Array.from({ length: clients }, async () => {
      const conn = await Deno.connect({
        hostname: "127.0.0.1",
        port: ports.echo,
      });
      try {
        await conn.write(encoder.encode("x"));
        if (await conn.read(new Uint8Array(1)) === 1) served++;
        await sleep(200);
      } finally {
        conn.close();
      }
    }));
    sampling = false;
    await sampler;
  } finally {
    await aio.stop();
    await Deno.remove(dir, { recursive: true });
  }
  const held = Number(/PEAK (\d+)/.exec(aio.output)?.[1] ?? NaN);
  if (served !== clients) failures.push(`max_connections: ${served} served`);
  if (!(held <= limit)) {
    failures.push(`max_connections: ${held} connections held at once`);
  }
  return {
    [`max_connections = ${limit}, ${clients} clients holding 200 ms each: served`]:
      served,
    "most connections held at once (by the protocol's count)": held,
    "most open fds over idle (closing sockets linger a moment)": peak,
    "log lines 'max_connections ... reached'":
      (aio.output.match(/max_connections \(\d+\) reached/g) ?? []).length,
  };
}

/** Runs the three checks and sums them up. */
export async function serverHostileClients(
  options: HostileClientsOptions = {},
): Promise<PartResult> {
  const failures: string[] = [];
  const figures = {
    ...await exhaustion(options.rounds ?? 5, failures),
    ...await systemdLimit(failures),
    ...await slowloris(options.slowSeconds ?? 12, failures),
    ...await maxConnections(failures),
  };
  return { name: NAME, ok: failures.length === 0, figures, failures };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      rounds: { type: "string" },
      "slow-seconds": { type: "string" },
    },
  });
  await runAlone(NAME, () =>
    serverHostileClients({
      rounds: values.rounds ? Number(values.rounds) : undefined,
      slowSeconds: values["slow-seconds"]
        ? Number(values["slow-seconds"])
        : undefined,
    }));
}
