// systemd, health and metrics through the real CLI: `aio run` under a real
// notify socket (a unix datagram socket bound as systemd binds it), the
// health server probed over HTTP, and /metrics read by the Prometheus
// Python client's parser while schedules run and requests are served.
import assert from "node:assert/strict";
import { CliProcess, runCli, tempApp } from "./_cli.ts";
import { waitUntil } from "./_processes.ts";
import { type Datagram, NotifySocket } from "../systemd/_receiver.ts";
import { startNats } from "../cluster/_nats.ts";
import {
  type ParsedFamily,
  parseExposition,
  sampleValue,
} from "../metrics/_prometheus_parser.ts";

/** The app's module: a schedule, an HTTP handler, a TCP echo protocol and lifecycle listeners. */
const APP_TS = `
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

export function tick() {}

export async function hello(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname === "/slow") {
    await Deno.writeTextFile("inflight.txt", "1");
    await sleep(Number(url.searchParams.get("ms")));
    return new Response("slow done\\n");
  }
  if (url.pathname === "/missing") return new Response("no\\n", { status: 404 });
  return new Response("hi\\n");
}

export class Echo {
  transport: { write(data: Uint8Array): void } | undefined;
  connectionMade(transport: { write(data: Uint8Array): void }) { this.transport = transport; }
  dataReceived(data: Uint8Array) { this.transport!.write(data); }
}

// aio-starting waits for go.txt when the config asks it to (the readiness test).
export async function starting() {
  while (Deno.env.get("AIO_TEST_GATE") && !(await exists("go.txt"))) await sleep(20);
}

// aio-reloading takes a while when reload.txt says so: the readiness probe sees the drain.
export async function reloading() {
  const ms = Number(await Deno.readTextFile("reload.txt").catch(() => "0"));
  await sleep(ms);
}

export async function started(_signal: string, app: unknown) {
  (globalThis as { aioApp?: unknown }).aioApp = app;
  await sleep(200);
  await Deno.writeTextFile("started.txt", "1");
}
`;

function config(options: { healthPort?: number; health?: boolean } = {}) {
  return `[aio]
modules = ./app.ts
shutdown_timeout = 10

${
    options.health === false
      ? ""
      : `[aio/health]\nport = ${options.healthPort ?? 0}\n`
  }
[listen/starting]
aio-starting = ./app.ts#starting

[listen/started]
aio-started = ./app.ts#started

[listen/reloading]
aio-reloading = ./app.ts#reloading

[schedule/tick]
every = 0.1
func = ./app.ts#tick

[server/web]
handler = ./app.ts#hello
address = 127.0.0.1
port = 0

[server/echo]
protocol = ./app.ts#Echo
address = 127.0.0.1
port = 0
`;
}

/** An `aio run` of the test app; its addresses read from its log. */
class RunningApp {
  readonly process: CliProcess;
  readonly dir: string;

  constructor(
    dir: string,
    options: { env?: Record<string, string>; denoFlags?: string[] } = {},
  ) {
    this.dir = dir;
    this.process = new CliProcess(["run"], {
      cwd: dir,
      env: options.env,
      denoFlags: options.denoFlags,
    });
  }

  /** `http://127.0.0.1:PORT` of the health server, once it listens. */
  async health(): Promise<string> {
    // The port whole: a digit-less character must follow it.
    const pattern = /Health server listening on (\S+:\d+)(?=\D)/;
    await this.process.waitFor(pattern);
    return `http://${pattern.exec(this.process.stderr)![1]}`;
  }

  /** `127.0.0.1:PORT` of server NAME, once it listens. */
  async server(name: string): Promise<{ hostname: string; port: number }> {
    const pattern = new RegExp(
      `Server ${name} listening on (\\S+):(\\d+)(?=\\D)`,
    );
    await this.process.waitFor(pattern);
    const [, hostname, port] = pattern.exec(this.process.stderr)!;
    return { hostname, port: Number(port) };
  }

  async stop(): Promise<number> {
    try {
      this.process.kill("SIGTERM");
    } catch {
      // Ended already.
    }
    return (await this.process.done()).code;
  }
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.text() };
}

async function scrape(health: string): Promise<ParsedFamily[]> {
  const response = await fetch(`${health}/metrics`);
  assert.equal(response.status, 200);
  assert.equal(
    response.headers.get("content-type"),
    "text/plain; version=0.0.4; charset=utf-8",
  );
  return await parseExposition(await response.text());
}

function nonWatchdog(datagrams: Datagram[]): string[] {
  return datagrams.map((d) => d.data).filter((data) => data !== "WATCHDOG=1");
}

const STATUS =
  /^READY=1\nSTATUS=2 servers \(web on 127\.0\.0\.1:\d+, echo on 127\.0\.0\.1:\d+\), 1 schedule, health on 127\.0\.0\.1:\d+$/;

Deno.test("aio run under systemd: WATCHDOG=1 from the start, READY=1 with a status line after aio-started, STOPPING=1 on SIGTERM, all from aio's pid", async () => {
  const dir = await tempApp(config(), { "app.ts": APP_TS });
  const socket = await NotifySocket.bind(`${dir}/notify.sock`);
  const run = new RunningApp(dir, {
    env: { NOTIFY_SOCKET: socket.address, WATCHDOG_USEC: "200000" },
  });
  try {
    await socket.waitFor((d) => d.data.startsWith("READY=1"));
    // READY=1 went out after aio-started's listener had finished.
    assert.ok(
      await Deno.stat(`${dir}/started.txt`).then(() => true, () => false),
      "READY=1 came before aio-started's listener ended",
    );
    const ready = socket.datagrams.findIndex((d) =>
      d.data.startsWith("READY=1")
    );
    // Pings go on every 100 ms (half of WATCHDOG_USEC) while the app runs.
    await waitUntil(
      () =>
        socket.datagrams.slice(ready).filter((d) => d.data === "WATCHDOG=1")
          .length >= 3,
      "three watchdog pings after READY=1",
    );
    assert.equal(await run.stop(), 0, run.process.stderr);
    await socket.waitFor((d) => d.data.startsWith("STOPPING=1"));
    const data = socket.datagrams.map((d) => d.data);
    assert.equal(data[0], "WATCHDOG=1", "the first ping goes out at once");
    const messages = nonWatchdog(socket.datagrams);
    assert.equal(messages.length, 2, JSON.stringify(messages));
    assert.match(messages[0], STATUS);
    assert.equal(messages[1], "STOPPING=1\nSTATUS=Stopping on SIGTERM");
    // -A grants FFI: aio sends from its own pid (NotifyAccess=main).
    assert.deepEqual(
      [...new Set(socket.datagrams.map((d) => d.pid))],
      [run.process.child.pid],
    );
  } finally {
    await run.stop();
    await socket.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("aio run under the unit's narrow flags: sd_notify through Deno's own unix datagrams, health and metrics answer", async () => {
  const dir = await tempApp(config(), { "app.ts": APP_TS });
  const runtime = `${dir}/runtime`;
  await Deno.mkdir(runtime);
  const socket = await NotifySocket.bind(`${dir}/notify.sock`);
  const permissions = await runCli(["permissions"], { cwd: dir });
  assert.equal(permissions.code, 0, permissions.stderr);
  const own = `${runtime}/notify.sock`;
  // What `aio unit` adds to `aio permissions` for the native route.
  const flags = [
    "--unstable-net",
    "--no-prompt",
    ...permissions.stdout.trim().split(" "),
    "--allow-env=NOTIFY_SOCKET,WATCHDOG_USEC,WATCHDOG_PID,RUNTIME_DIRECTORY",
    "--allow-sys=osUptime",
    `--allow-net=unix:${own},unix:${socket.address}`,
    `--allow-read=${own}`,
    `--allow-write=${own},${socket.address}`,
  ];
  const run = new RunningApp(dir, {
    denoFlags: flags,
    env: { NOTIFY_SOCKET: socket.address, RUNTIME_DIRECTORY: runtime },
  });
  try {
    await socket.waitFor((d) => d.data.startsWith("READY=1"));
    const health = await run.health();
    assert.deepEqual(await get(`${health}/readyz`), {
      status: 200,
      body: "ready\n",
    });
    const families = await scrape(health);
    assert.ok(
      (sampleValue(families, "process_resident_memory_bytes") ?? 0) > 0,
    );
    assert.ok(
      (sampleValue(families, "process_cpu_seconds_total") ?? 0) > 0,
      "CPU time needs no permission beyond the unit's",
    );
    assert.equal(await run.stop(), 0, run.process.stderr);
    await socket.waitFor((d) => d.data.startsWith("STOPPING=1"));
    assert.match(nonWatchdog(socket.datagrams)[0], STATUS);
    // The native route sends from aio's own pid too; no warning was logged.
    assert.deepEqual(
      [...new Set(socket.datagrams.map((d) => d.pid))],
      [run.process.child.pid],
    );
    assert.doesNotMatch(run.process.stderr, /notify systemd/i);
  } finally {
    await run.stop();
    await socket.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a reload, through SIGHUP: RELOADING=1 with MONOTONIC_USEC, /readyz 503 while it drains, then READY=1; a refused reload is counted and ready again", async () => {
  const dir = await tempApp(config(), { "app.ts": APP_TS });
  const socket = await NotifySocket.bind(`${dir}/notify.sock`);
  const run = new RunningApp(dir, { env: { NOTIFY_SOCKET: socket.address } });
  try {
    await socket.waitFor((d) => d.data.startsWith("READY=1"));
    const health = await run.health();
    // A reload whose aio-reloading listeners take 1.5 s: /readyz is 503 meanwhile.
    await Deno.writeTextFile(`${dir}/reload.txt`, "1500");
    run.process.kill("SIGHUP");
    await socket.waitFor((d) => d.data.startsWith("RELOADING=1"));
    assert.equal((await get(`${health}/readyz`)).status, 503);
    await waitUntil(
      () => nonWatchdog(socket.datagrams).length === 3,
      "READY=1 after the reload",
    );
    assert.equal((await get(`${health}/readyz`)).status, 200);
    // A broken config: the reload is refused and the old app runs on.
    await Deno.writeTextFile(`${dir}/reload.txt`, "0");
    const good = await Deno.readTextFile(`${dir}/aio.conf`);
    await Deno.writeTextFile(
      `${dir}/aio.conf`,
      good.replace("every = 0.1", "every = soon"),
    );
    run.process.kill("SIGHUP");
    await waitUntil(
      () => nonWatchdog(socket.datagrams).length === 5,
      "READY=1 after the refused reload",
    );
    assert.equal((await get(`${health}/readyz`)).status, 200);
    const families = await scrape(health);
    assert.equal(
      sampleValue(families, "aio_reloads_total", { outcome: "ok" }),
      1,
    );
    assert.equal(
      sampleValue(families, "aio_reloads_total", { outcome: "failed" }),
      1,
    );
    assert.equal(await run.stop(), 0, run.process.stderr);
    await socket.waitFor((d) => d.data.startsWith("STOPPING=1"));
    const messages = nonWatchdog(socket.datagrams);
    assert.equal(messages.length, 6, JSON.stringify(messages));
    assert.match(messages[0], STATUS);
    assert.match(
      messages[1],
      /^RELOADING=1\nMONOTONIC_USEC=\d+\nSTATUS=Reloading$/,
    );
    assert.match(messages[2], STATUS);
    assert.match(messages[3], /^RELOADING=1\n/);
    assert.match(
      messages[4],
      /^READY=1\nSTATUS=Reload failed \(.*every.*\); running: 2 servers/,
    );
    assert.equal(messages[5], "STOPPING=1\nSTATUS=Stopping on SIGTERM");
    // MONOTONIC_USEC is CLOCK_MONOTONIC (FFI under -A): at most the receipt time.
    const reloading = socket.datagrams.find((d) =>
      d.data.startsWith("RELOADING=1")
    )!;
    const usec = Number(/MONOTONIC_USEC=(\d+)/.exec(reloading.data)![1]);
    assert.ok(
      usec <= reloading.mono && reloading.mono - usec < 5_000_000,
      `${usec} vs received at ${reloading.mono}`,
    );
  } finally {
    await run.stop();
    await socket.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("/metrics, read by the Prometheus client's parser, moves as the schedule runs, requests are served and connections come and go", async () => {
  const dir = await tempApp(config(), { "app.ts": APP_TS });
  const run = new RunningApp(dir);
  try {
    const health = await run.health();
    const web = await run.server("web");
    const echo = await run.server("echo");
    await run.process.waitFor(/Started: 2 server/);
    const runs = (families: ParsedFamily[]) =>
      sampleValue(families, "aio_schedule_runs_total", {
        schedule: "tick",
        outcome: "ok",
      }) ?? -1;
    const first = await scrape(health);
    // Every part shows from the start, at 0 where nothing happened yet.
    assert.equal(
      sampleValue(first, "aio_schedule_runs_total", {
        schedule: "tick",
        outcome: "error",
      }),
      0,
    );
    assert.equal(
      sampleValue(first, "aio_server_connections", { server: "echo" }),
      0,
    );
    assert.equal(
      sampleValue(first, "aio_server_connections", { server: "web" }),
      undefined,
      "an HTTP server has no connection gauge it never moves",
    );
    assert.equal(
      sampleValue(first, "aio_signal_emits_total", { signal: "aio-started" }),
      1,
    );
    const before = runs(first);
    let later = before;
    await waitUntil(async () => {
      later = runs(await scrape(health));
      return later >= before + 3;
    }, "aio_schedule_runs_total to move");
    assert.ok(later > before);
    assert.ok(
      (sampleValue(
        await scrape(health),
        "aio_schedule_lateness_seconds_count",
        { schedule: "tick" },
      ) ?? 0) >= later,
    );

    const requests = (families: ParsedFamily[], status: string) =>
      sampleValue(families, "aio_http_requests_total", {
        server: "web",
        status,
      }) ?? 0;
    const base = `http://127.0.0.1:${web.port}`;
    for (let i = 0; i < 5; i++) {
      assert.equal((await get(`${base}/`)).status, 200);
    }
    assert.equal((await get(`${base}/missing`)).status, 404);
    let families = await scrape(health);
    assert.equal(requests(families, "200"), 5);
    assert.equal(requests(families, "404"), 1);
    for (let i = 0; i < 3; i++) await get(`${base}/`);
    assert.equal(requests(await scrape(health), "200"), 8);

    const connections = await Promise.all(
      [0, 1].map(() => Deno.connect(echo)),
    );
    for (const conn of connections) {
      await conn.write(new Uint8Array([1]));
      assert.equal(await conn.read(new Uint8Array(1)), 1);
    }
    families = await scrape(health);
    assert.equal(
      sampleValue(families, "aio_server_connections", { server: "echo" }),
      2,
    );
    assert.equal(
      sampleValue(families, "aio_server_accepted_total", { server: "echo" }),
      2,
    );
    connections[0].close();
    await waitUntil(
      async () =>
        sampleValue(await scrape(health), "aio_server_connections", {
          server: "echo",
        }) === 1,
      "the gauge to drop when a connection closes",
    );
    connections[1].close();
    families = await scrape(health);
    assert.ok(
      (sampleValue(families, "process_resident_memory_bytes") ?? 0) > 1e6,
    );
    const start = sampleValue(families, "process_start_time_seconds") ?? 0;
    assert.ok(Math.abs(start - Date.now() / 1000) < 600, `start ${start}`);
    assert.ok((sampleValue(families, "aio_event_loop_lag_seconds") ?? -1) >= 0);
    assert.equal(await run.stop(), 0, run.process.stderr);
  } finally {
    await run.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("/healthz answers during start-up, /readyz is 503 until aio-started, 200 after, 503 while a stop drains a slow request", async () => {
  const dir = await tempApp(config(), { "app.ts": APP_TS });
  const run = new RunningApp(dir, { env: { AIO_TEST_GATE: "1" } });
  try {
    const health = await run.health();
    // aio-starting's listener holds the start until go.txt exists.
    assert.deepEqual(await get(`${health}/healthz`), {
      status: 200,
      body: "ok\n",
    });
    assert.deepEqual(await get(`${health}/readyz`), {
      status: 503,
      body: "not ready: starting\n",
    });
    await Deno.writeTextFile(`${dir}/go.txt`, "1");
    await waitUntil(
      async () => (await get(`${health}/readyz`)).status === 200,
      "/readyz to answer 200 once started",
    );
    const web = await run.server("web");
    let slowDone = false;
    const slow = get(`http://127.0.0.1:${web.port}/slow?ms=2500`).finally(
      () => slowDone = true,
    );
    await waitUntil(
      () => Deno.stat(`${dir}/inflight.txt`).then(() => true, () => false),
      "the slow request to be in flight",
    );
    run.process.kill("SIGTERM");
    await run.process.waitFor(/Stopping \(shutdown_timeout/);
    const during = await get(`${health}/readyz`);
    const live = await get(`${health}/healthz`);
    assert.equal(slowDone, false, "the drain was still going");
    assert.deepEqual(during, { status: 503, body: "not ready: draining\n" });
    assert.equal(live.status, 200);
    assert.deepEqual(await slow, { status: 200, body: "slow done\n" });
    assert.equal((await run.process.done()).code, 0);
    // Closed last: nothing answers once aio has exited.
    await assert.rejects(fetch(`${health}/healthz`));
  } finally {
    await run.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a health port that cannot be bound stops the start: exit 1 naming [aio/health], the address and the port", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const dir = await tempApp(config({ healthPort: taken.addr.port }), {
    "app.ts": APP_TS,
  });
  try {
    const result = await runCli(["run"], { cwd: dir });
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(
        `^aio: error: Cannot start the health server \\[aio/health\\] on 127\\.0\\.0\\.1:${taken.addr.port}: .*in use`,
        "mi",
      ),
    );
    // Nothing of the app started.
    assert.doesNotMatch(result.stderr, /listening on/);
  } finally {
    taken.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("aio check reports [aio/health] problems in the one shape; aio permissions grants its address", async () => {
  const dir = await tempApp(
    "[aio/health]\nport = 91000\nadress = 0.0.0.0\n",
  );
  try {
    const check = await runCli(["check"], { cwd: dir });
    assert.equal(check.code, 78, check.stderr);
    assert.match(
      check.stderr,
      /aio\.conf:2: \[aio\/health\] port: must be an integer 0-65535/,
    );
    assert.match(
      check.stderr,
      /aio\.conf:3: \[aio\/health\] adress: .*address/,
    );
    await Deno.writeTextFile(
      `${dir}/aio.conf`,
      "[aio/health]\naddress = 127.0.0.2\nport = 9109\n",
    );
    assert.equal((await runCli(["check"], { cwd: dir })).code, 0);
    const permissions = await runCli(["permissions"], { cwd: dir });
    assert.equal(permissions.code, 0, permissions.stderr);
    assert.match(permissions.stdout, /--allow-net=127\.0\.0\.2:9109 /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("with [aio/cluster], /metrics shows the NATS connection's state", async () => {
  await using nats = await startNats();
  const dir = await tempApp(
    `[aio/health]\nport = 0\n\n[aio/cluster]\nurl = ${nats.url}\n`,
  );
  const run = new RunningApp(dir);
  try {
    const health = await run.health();
    await run.process.waitFor(/Started: /);
    const families = await scrape(health);
    assert.equal(sampleValue(families, "aio_cluster_connected"), 1);
    assert.equal(
      sampleValue(families, "aio_cluster_state", { state: "connected" }),
      1,
    );
    assert.equal(sampleValue(families, "aio_cluster_outages_total"), 0);
    assert.equal(await run.stop(), 0, run.process.stderr);
  } finally {
    await run.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
