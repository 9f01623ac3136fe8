// Reloading one process (issue 15, "Reload (one process)"), through the
// real CLI: SIGHUP and `aio reload` switch servers, schedules and listeners
// without a gap; a bad config leaves the old app serving; reloads do not
// overlap; a stop during a reload wins.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { CliProcess, runCli, tempApp } from "./_cli.ts";
import { processesWith, waitUntil } from "./_processes.ts";

const MOD = new URL("../../mod.ts", import.meta.url).href;

/**
 * The app's module, answering `answer` on HTTP (`/slow` waits for
 * `/release`, which the next version of the module may serve) and on TCP
 * (one line per line received), printing its ports once started.
 */
function appModule(answer: string): string {
  return `import { app } from "${MOD}";
const ANSWER = ${JSON.stringify(answer)};
// One gate for every version of this module: the old handler waits on it,
// the new one opens it.
const shared = globalThis as unknown as { gate?: PromiseWithResolvers<void> };
const gate = shared.gate ??= Promise.withResolvers<void>();
export async function handle(request: Request): Promise<Response> {
  const path = new URL(request.url).pathname;
  if (path === "/slow") {
    console.log("SLOW-IN");
    await gate.promise;
  }
  if (path === "/release") gate.resolve();
  return new Response(ANSWER);
}
export class Answer {
  transport: { write(data: string): void } | undefined;
  connectionMade(transport: { write(data: string): void }) {
    this.transport = transport;
  }
  dataReceived() {
    this.transport!.write(ANSWER + "\\n");
  }
}
export function started() {
  const port = (name: string) => (app.servers[name].addr as Deno.NetAddr).port;
  console.log("PORTS " + JSON.stringify({ http: port("http"), tcp: port("tcp") }));
}
export function reloaded() {
  const last = app.lastReload!;
  console.log("RELOADED " + last.seq + " " + last.outcome);
}
`;
}

const SERVERS = `[aio]
modules = ./app.ts
shutdown_timeout = 3

[server/http]
handler = ./app.ts#handle
address = 127.0.0.1
port = 0

[server/tcp]
protocol = ./app.ts#Answer
address = 127.0.0.1
port = 0

[listen/marks]
aio-started = ./app.ts#started
aio-reloaded = ./app.ts#reloaded
`;

interface Ports {
  http: number;
  tcp: number;
}

function portsOf(output: string): Ports {
  return JSON.parse(output.match(/^PORTS (.*)$/m)![1]) as Ports;
}

/** A TCP connection to the answering protocol: one line out, one line back. */
class LineClient {
  readonly #conn: Deno.TcpConn;
  readonly #buffer = new Uint8Array(1024);

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  static async open(port: number): Promise<LineClient> {
    return new LineClient(
      await Deno.connect({ hostname: "127.0.0.1", port }),
    );
  }

  async ask(): Promise<string> {
    await this.#conn.write(new TextEncoder().encode("?\n"));
    let text = "";
    while (!text.endsWith("\n")) {
      const count = await this.#conn.read(this.#buffer);
      if (count === null) throw new Error(`closed after ${text}`);
      text += new TextDecoder().decode(this.#buffer.subarray(0, count));
    }
    return text.trim();
  }

  close(): void {
    this.#conn.close();
  }
}

async function get(port: number, path = "/"): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return await response.text();
}

/** Runs `aio run` in `dir` (with `args` after `run`), and stops it and removes `dir` after `body`. */
async function withApp(
  dir: string,
  args: string[],
  body: (aio: CliProcess) => Promise<void>,
): Promise<void> {
  const aio = new CliProcess(["run", ...args], { cwd: dir });
  try {
    await body(aio);
  } finally {
    try {
      aio.kill("SIGTERM");
    } catch {
      // The test stopped it already.
    }
    await aio.done();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("SIGHUP switches the HTTP handler and the TCP protocol; an open connection and a request in flight finish on the old code", async () => {
  const dir = await tempApp(SERVERS, { "app.ts": appModule("old") });
  await withApp(dir, [], async (aio) => {
    await aio.waitFor(/^PORTS .*\n/m);
    const ports = portsOf(aio.stdout);
    const kept = await LineClient.open(ports.tcp);
    equal(await kept.ask(), "old");
    const slow = get(ports.http, "/slow");
    await aio.waitFor(/^SLOW-IN$/m);

    await Deno.writeTextFile(`${dir}/app.ts`, appModule("new"));
    aio.kill("SIGHUP");
    await aio.waitFor(/^RELOADED 1 \w+\n/m);
    match(aio.stdout, /^RELOADED 1 reloaded$/m);

    equal(await kept.ask(), "old", "an open connection keeps the old code");
    const fresh = await LineClient.open(ports.tcp);
    equal(await fresh.ask(), "new", "a new connection gets the new code");
    equal(await get(ports.http), "new");
    equal(await get(ports.http, "/release"), "new");
    equal(await slow, "old", "a request in flight finishes on the old code");
    equal(portsOf(aio.stdout).http, ports.http, "printed once: same sockets");
    kept.close();
    fresh.close();
    // On stderr, which may be read after stdout: waited for, not looked at.
    await aio.waitFor(
      /Reload 1 done in [\d.]+ s\. Modules: re-imported \.\/app\.ts; new none; kept 0\. Servers: kept http, tcp; started none; stopped none/,
    );
  });
});

Deno.test("aio reload: a broken config leaves the old app serving, prints the error and exits 78; once fixed, it reloads (exit 0)", async () => {
  const dir = await tempApp(SERVERS, { "app.ts": appModule("old") });
  await withApp(dir, ["--pidfile", "aio.pid"], async (aio) => {
    await aio.waitFor(/^PORTS .*\n/m);
    const ports = portsOf(aio.stdout);
    const kept = await LineClient.open(ports.tcp);

    await Deno.writeTextFile(`${dir}/app.ts`, appModule("new"));
    await Deno.writeTextFile(
      `${dir}/aio.conf`,
      SERVERS.replace("shutdown_timeout = 3", "shutdown_timeout = soon"),
    );
    const refused = await runCli(["reload", "--pidfile", "aio.pid"], {
      cwd: dir,
    });
    equal(refused.code, 78, refused.stderr);
    equal(refused.stdout, "");
    equal(
      refused.stderr,
      `aio: config error: aio.conf:3: [aio] shutdown_timeout: must be a number of seconds from 0 to 86400, not "soon"\n`,
    );
    equal(await get(ports.http), "old", "the old handler still serves");
    equal(await kept.ask(), "old");
    const during = await LineClient.open(ports.tcp);
    equal(await during.ask(), "old", "new connections get the old code");
    during.close();
    const outcome = JSON.parse(
      await Deno.readTextFile(`${dir}/aio.pid.reload.json`),
    );
    equal(outcome.seq, 1);
    equal(outcome.outcome, "failed");
    equal(outcome.pid, aio.child.pid);
    equal(outcome.errors.length, 1);

    await Deno.writeTextFile(`${dir}/aio.conf`, SERVERS);
    const reloaded = await runCli(["reload", "--pidfile", "aio.pid"], {
      cwd: dir,
    });
    equal(reloaded.code, 0, reloaded.stderr);
    equal(reloaded.stdout, "reloaded\n");
    equal(await get(ports.http), "new");
    equal(await kept.ask(), "old");
    kept.close();
    // The listener's lines may be read after aio reload has returned.
    await aio.waitFor(/^RELOADED 2 \w+\n/m);
    match(aio.stdout, /^RELOADED 1 failed$/m);
    match(aio.stdout, /^RELOADED 2 reloaded$/m);
  });
  // The outcome file goes with the pidfile.
  await Deno.stat(`${dir}/aio.pid.reload.json`).then(
    () => ok(false, "the outcome file outlived the process"),
    () => {},
  );
});

Deno.test("aio reload with nothing running exits 1: no pidfile, or a stale one", async () => {
  const dir = await tempApp("[aio]\n");
  try {
    const none = await runCli(["reload"], { cwd: dir });
    equal(none.code, 1);
    equal(
      none.stderr,
      "aio: error: not running (no pidfile at var/run/aio.pid)\n",
    );
    await Deno.mkdir(`${dir}/var/run`, { recursive: true });
    await Deno.writeTextFile(`${dir}/var/run/aio.pid`, "999999\n");
    const stale = await runCli(["reload"], { cwd: dir });
    equal(stale.code, 1);
    match(
      stale.stderr,
      /^aio: error: not running \(var\/run\/aio\.pid is stale: pid 999999 holds no lock on it\)\n$/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("aio run -d, then aio reload: the daemon reloads and reports through its pidfile", async () => {
  const dir = await tempApp(SERVERS, { "app.ts": appModule("old") });
  try {
    const started = await runCli(["run", "-d"], { cwd: dir });
    equal(started.code, 0, started.stderr);
    const log = `${dir}/var/log/aio.log`;
    await waitUntil(
      async () => /^PORTS /m.test(await Deno.readTextFile(log)),
      "the daemon's ports",
    );
    const ports = portsOf(await Deno.readTextFile(log));
    equal(await get(ports.http), "old");
    await Deno.writeTextFile(`${dir}/app.ts`, appModule("new"));
    const reloaded = await runCli(["reload"], { cwd: dir });
    equal(reloaded.code, 0, reloaded.stderr);
    equal(reloaded.stdout, "reloaded\n");
    equal(await get(ports.http), "new");
    const stopped = await runCli(["stop"], { cwd: dir });
    equal(stopped.code, 0, stopped.stderr);
  } finally {
    for (const pid of processesWith(`${dir}/aio.conf`)) {
      Deno.kill(pid, "SIGKILL");
    }
    await Deno.remove(dir, { recursive: true });
  }
});

/** A schedule that prints its version and slot; a schedule that goes away. */
function tickModule(version: number): string {
  return `export function tick(_name: string, event: { scheduledAt: Date }) {
  console.log("TICK ${version} " + event.scheduledAt.getTime());
}
export function gone() {
  console.log("GONE");
}
export function reloaded() {
  console.log("RELOADED");
}
`;
}

const SCHEDULES = `[aio]
shutdown_timeout = 2

[schedule/tick]
every = 0.5
func = ./ticks.ts#tick

[listen/marks]
aio-reloaded = ./ticks.ts#reloaded
`;

Deno.test("a schedule kept by name runs exactly once per slot of its grid across reloads, on the new code; a removed one stops", async () => {
  const dir = await tempApp(
    SCHEDULES + "\n[schedule/gone]\nevery = 0.5\nfunc = ./ticks.ts#gone\n",
    { "ticks.ts": tickModule(1) },
  );
  await withApp(dir, [], async (aio) => {
    for (let version = 2; version <= 4; version++) {
      // Two slots on the current code, then the switch.
      const count = (aio.stdout.match(/^TICK /gm) ?? []).length;
      await waitUntil(
        () => (aio.stdout.match(/^TICK /gm) ?? []).length >= count + 2,
        "two more ticks",
      );
      await Deno.writeTextFile(`${dir}/ticks.ts`, tickModule(version));
      if (version === 2) await Deno.writeTextFile(`${dir}/aio.conf`, SCHEDULES);
      aio.kill("SIGHUP");
      await aio.waitFor(
        new RegExp(`(^RELOADED$[\\s\\S]*){${version - 1}}`, "m"),
      );
    }
    await aio.waitFor(/^TICK 4 \d+\n[\s\S]*^TICK 4 \d+\n/m);
    const ticks = [...aio.stdout.matchAll(/^TICK (\d) (\d+)$/gm)].map((
      [, version, at],
    ) => ({ version: Number(version), at: Number(at) }));
    const first = ticks[0].at;
    // Slot k is due at start + k x 500 ms (Date keeps whole ms).
    const slots = ticks.map(({ at }) => (at - first) / 500);
    for (const [index, slot] of slots.entries()) {
      ok(
        Math.abs(slot - index) <= 0.004,
        `tick ${index} at slot ${slot}: ${JSON.stringify(ticks)}`,
      );
    }
    const versions = ticks.map((tick) => tick.version);
    deepEqual([...new Set(versions)], [1, 2, 3, 4], versions.join(" "));
    deepEqual(versions, [...versions].sort(), "never back to old code");
    const afterFirstReload = aio.stdout.slice(aio.stdout.indexOf("RELOADED"));
    ok(!afterFirstReload.includes("GONE"), "the removed schedule stopped");
    ok(aio.stdout.includes("GONE"), "it ran before");
  });
});

const LISTENERS =
  `export function oldReloading() { console.log("OLD aio-reloading"); }
export function oldReloaded() { console.log("OLD aio-reloaded"); }
export function newReloaded() { console.log("NEW aio-reloaded"); }
export function oldPing() { return "old"; }
export function newPing() { return "new"; }
`;

const WIRING = `import { app } from "${MOD}";
export function attach() {
  app.signals!.listen("aio-reloading", () => console.log("CODE aio-reloading"));
  app.signals!.listen("aio-reloaded", () => console.log("CODE aio-reloaded"));
}
export async function ping(): Promise<Response> {
  return new Response(JSON.stringify(await app.signals!.emit("ping")));
}
export function started() {
  console.log("PORT " + (app.servers.http.addr as Deno.NetAddr).port);
}
`;

const LISTENING = `[aio]
shutdown_timeout = 2

[server/http]
handler = ./wiring.ts#ping
address = 127.0.0.1
port = 0

[listen/wiring]
aio-starting = ./wiring.ts#attach
aio-started = ./wiring.ts#started
`;

Deno.test("a reload re-wires the config's listeners, keeps those code added, and aio-reloading comes before aio-reloaded", async () => {
  const dir = await tempApp(
    LISTENING +
      "\n[listen/old]\naio-reloading = ./listeners.ts#oldReloading\naio-reloaded = ./listeners.ts#oldReloaded\nping = ./listeners.ts#oldPing\n",
    { "wiring.ts": WIRING, "listeners.ts": LISTENERS },
  );
  await withApp(dir, [], async (aio) => {
    await aio.waitFor(/^PORT \d+\n/m);
    const port = Number(aio.stdout.match(/^PORT (\d+)$/m)![1]);
    equal(await get(port), '["old"]');
    await Deno.writeTextFile(
      `${dir}/aio.conf`,
      LISTENING +
        "\n[listen/new]\naio-reloaded = ./listeners.ts#newReloaded\nping = ./listeners.ts#newPing\n",
    );
    aio.kill("SIGHUP");
    await aio.waitFor(/^NEW aio-reloaded$/m);
    await aio.waitFor(/^CODE aio-reloaded$/m);
    equal(await get(port), '["new"]');
    const marks = aio.stdout.split("\n").filter((line) =>
      / aio-reload(ing|ed)$/.test(line)
    );
    deepEqual(marks, [
      "OLD aio-reloading",
      "CODE aio-reloading",
      "CODE aio-reloaded",
      "NEW aio-reloaded",
    ]);
  });
});

const SLOW_RELOADS = `let count = 0;
export async function reloading() {
  count++;
  console.log("RELOADING " + count);
  await new Promise((resolve) => setTimeout(resolve, 500));
}
export function reloaded() {
  console.log("RELOADED " + count);
}
export function started() {
  console.log("STARTED");
}
export async function slowStart() {
  console.log("STARTING");
  await new Promise((resolve) => setTimeout(resolve, 500));
}
`;

Deno.test("SIGHUPs during a reload queue one more reload, never an overlapping one", async () => {
  const dir = await tempApp(
    "[aio]\nshutdown_timeout = 2\n\n[listen/x]\naio-started = ./slow.ts#started\naio-reloading = ./slow.ts#reloading\naio-reloaded = ./slow.ts#reloaded\n",
    { "slow.ts": SLOW_RELOADS },
  );
  await withApp(dir, [], async (aio) => {
    await aio.waitFor(/^STARTED$/m);
    aio.kill("SIGHUP");
    await aio.waitFor(/^RELOADING 1$/m);
    aio.kill("SIGHUP");
    aio.kill("SIGHUP");
    await aio.waitFor(/^RELOADED 2$/m);
    // A third would have begun at once after the second.
    aio.kill("SIGTERM");
    await aio.done();
    const marks = aio.stdout.split("\n").filter((line) =>
      /^RELOAD(ING|ED) /.test(line)
    );
    deepEqual(marks, [
      "RELOADING 1",
      "RELOADED 1",
      "RELOADING 2",
      "RELOADED 2",
    ]);
  });
});

Deno.test("SIGTERM during a reload wins: the check ends at once, the app stops within shutdown_timeout", async () => {
  const config =
    "[aio]\nshutdown_timeout = 2\n\n[listen/x]\naio-started = ./slow.ts#started\n";
  const dir = await tempApp(config, {
    "slow.ts": SLOW_RELOADS,
    "hang.ts": 'console.log("HANGING");\nawait new Promise(() => {});\n',
  });
  await withApp(dir, [], async (aio) => {
    await aio.waitFor(/^STARTED$/m);
    await Deno.writeTextFile(
      `${dir}/aio.conf`,
      config.replace("[aio]\n", "[aio]\nmodules = ./hang.ts\n"),
    );
    aio.kill("SIGHUP");
    await aio.waitFor(/^HANGING$/m);
    const stopAt = performance.now();
    aio.kill("SIGTERM");
    const result = await aio.done();
    const seconds = (performance.now() - stopAt) / 1000;
    equal(result.code, 0, result.stderr);
    ok(seconds < 2, `stopped in ${seconds.toFixed(2)} s`);
    match(
      result.stderr,
      /Reload 1: a stop came while importing \.\/hang\.ts/,
    );
    match(result.stderr, /INFO\(aio\.app\): Stopped/);
  });
});

Deno.test("a SIGHUP during start-up waits: the reload runs once the app has started", async () => {
  const dir = await tempApp(
    "[aio]\nshutdown_timeout = 2\n\n[listen/x]\naio-starting = ./slow.ts#slowStart\naio-started = ./slow.ts#started\naio-reloading = ./slow.ts#reloading\naio-reloaded = ./slow.ts#reloaded\n",
    { "slow.ts": SLOW_RELOADS },
  );
  await withApp(dir, [], async (aio) => {
    await aio.waitFor(/^STARTING$/m);
    aio.kill("SIGHUP");
    await aio.waitFor(/^RELOADED 1$/m);
    const lines = aio.stdout.split("\n").filter((line) => line !== "");
    deepEqual(lines, ["STARTING", "STARTED", "RELOADING 1", "RELOADED 1"]);
    // On stderr, which may be read after stdout: waited for.
    await aio.waitFor(/SIGHUP: the reload waits until the app has started/);
  });
});
