// Reload's server step on real sockets: kept sockets swap their code with
// no connection refused, open connections finish on the old code, added
// servers start, removed ones drain, a failed start touches nothing.
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { ConfigParser } from "../../src/config/config_parser.ts";
import { Problems } from "../../src/config/problems.ts";
import { AioError } from "../../src/errors.ts";
import { ModuleLoader } from "../../src/refs.ts";
import {
  reconcileServers,
  type ResolvedServer,
  resolveServers,
  type RunningServer,
  sameBinding,
  type Server,
  type ServerObserver,
  startServers,
  stopServers,
} from "../../src/server/mod.ts";
import { fixture, isRefused, portOf, readBytes, writeAll } from "./_helpers.ts";

const VERSIONS = fixture("versions.ts");
const decoder = new TextDecoder();

async function resolve(text: string): Promise<ResolvedServer[]> {
  const config = new ConfigParser().readString(text, "/srv/app/aio.conf");
  const problems = new Problems();
  const resolved = await resolveServers(config, new ModuleLoader(), problems);
  problems.throwIfAny();
  return resolved;
}

function tcp(name: string, protocol: string, port = 0, extra = ""): string {
  return `[server/${name}]\nprotocol = ${VERSIONS}#${protocol}\naddress = 127.0.0.1\nport = ${port}\n${extra}\n`;
}

function http(name: string, handler: string, port = 0): string {
  return `[server/${name}]\nhandler = ${VERSIONS}#${handler}\naddress = 127.0.0.1\nport = ${port}\n\n`;
}

/** Sends `text` on a new connection and returns the answer. */
async function ask(port: number, text: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    return await askOn(conn, text);
  } finally {
    conn.close();
  }
}

async function askOn(conn: Deno.Conn, text: string): Promise<string> {
  await writeAll(conn, text);
  return decoder.decode(await readBytes(conn, text.length + 2));
}

/** Clients asking in a loop until stopped: every answer and every failure counted. */
function hammer(ask: () => Promise<string>, clients = 8) {
  const answers = new Map<string, number>();
  const failures: string[] = [];
  let running = true;
  const loops = Array.from({ length: clients }, async () => {
    while (running) {
      try {
        const answer = await ask();
        answers.set(answer, (answers.get(answer) ?? 0) + 1);
      } catch (error) {
        failures.push(String(error));
      }
    }
  });
  return {
    answers,
    failures,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Closed already.
  }
}

/** Resolves once `check()` holds, trying each macrotask (at most 5 s). */
async function eventually(check: () => boolean): Promise<void> {
  const end = performance.now() + 5_000;
  while (!check()) {
    if (performance.now() > end) throw new Error("not in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

Deno.test("reconcile: a kept tcp server swaps its protocol with no connection refused; open connections keep the old one", async () => {
  const servers = await startServers(await resolve(tcp("echo", "VersionA")), {
    shutdownTimeoutMs: 1000,
  });
  const port = portOf(servers.echo.addr);
  const old = await Deno.connect({ hostname: "127.0.0.1", port });
  let current = servers;
  try {
    assert.equal(await askOn(old, "x"), "A:x");
    const load = hammer(() => ask(port, "h"));
    await eventually(() => (load.answers.get("A:h") ?? 0) > 20);
    const result = await reconcileServers(
      servers,
      await resolve(tcp("echo", "VersionB")),
      { shutdownTimeoutMs: 1000 },
    );
    current = result.servers;
    await eventually(() => (load.answers.get("B:h") ?? 0) > 20);
    await load.stop();
    assert.deepEqual(load.failures, []);
    assert.deepEqual(
      [result.kept, result.started, result.stopped, result.failed],
      [["echo"], [], [], []],
    );
    assert.equal(result.servers.echo, servers.echo, "the same server");
    assert.equal(await ask(port, "y"), "B:y");
    assert.equal(await askOn(old, "z"), "A:z", "the open connection");
    await result.drained;
  } finally {
    old.close();
    await stopServers(current, 100);
  }
});

Deno.test("reconcile: a kept http server swaps its handler; a request in flight finishes on the old one", async () => {
  const versions = await import(VERSIONS);
  const servers = await startServers(await resolve(http("web", "handlerA")), {
    shutdownTimeoutMs: 1000,
  });
  const port = portOf(servers.web.addr);
  const client = Deno.createHttpClient({});
  const get = async (path: string) =>
    await (await fetch(`http://127.0.0.1:${port}${path}`, { client })).text();
  let current = servers;
  try {
    const entered = versions.waiting();
    const inFlight = get("/wait");
    await entered;
    const load = hammer(() => get("/"));
    await eventually(() => (load.answers.get("A") ?? 0) > 20);
    const result = await reconcileServers(
      servers,
      await resolve(http("web", "handlerB")),
      { shutdownTimeoutMs: 1000 },
    );
    current = result.servers;
    await eventually(() => (load.answers.get("B") ?? 0) > 20);
    await load.stop();
    assert.deepEqual(load.failures, []);
    assert.deepEqual(result.kept, ["web"]);
    versions.releaseWaiting();
    assert.equal(await inFlight, "A");
    assert.equal(await get("/"), "B");
  } finally {
    client.close();
    await stopServers(current, 100);
  }
});

Deno.test("reconcile: a kept udp endpoint hands its socket to a new protocol instance", async () => {
  const versions = await import(VERSIONS);
  const udp = (protocol: string) =>
    `[server/dns]\nprotocol = ${VERSIONS}#${protocol}\ntransport = udp\naddress = 127.0.0.1\nport = 0\n`;
  const servers = await startServers(await resolve(udp("UdpA")), {
    shutdownTimeoutMs: 100,
  });
  const port = portOf(servers.dns.addr);
  const socket = dgram.createSocket("udp4");
  const send = (text: string) =>
    new Promise<string>((resolve) => {
      socket.once("message", (message) => resolve(message.toString()));
      socket.send(text, port, "127.0.0.1");
    });
  try {
    assert.equal(await send("q"), "A:q");
    const lostBefore = versions.UdpA.lost;
    const result = await reconcileServers(servers, await resolve(udp("UdpB")), {
      shutdownTimeoutMs: 100,
    });
    assert.deepEqual(result.kept, ["dns"]);
    assert.equal(await send("q"), "B:q");
    assert.equal(versions.UdpA.lost, lostBefore + 1);
  } finally {
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    await stopServers(servers, 100);
  }
});

Deno.test("reconcile: added servers start, kept ones take new limits, removed ones drain their open connections", async () => {
  const servers = await startServers(
    await resolve(tcp("kept", "VersionA") + tcp("gone", "VersionA")),
    { shutdownTimeoutMs: 1000 },
  );
  const gonePort = portOf(servers.gone.addr);
  const open = await Deno.connect({ hostname: "127.0.0.1", port: gonePort });
  let current: Record<string, Server> = servers;
  try {
    assert.equal(await askOn(open, "o"), "A:o");
    const result = await reconcileServers(
      servers,
      await resolve(
        tcp("new", "VersionB") +
          tcp("kept", "VersionA", 0, "idle_timeout = 30"),
      ),
      { shutdownTimeoutMs: 5000 },
    );
    current = result.servers;
    assert.deepEqual(Object.keys(result.servers), ["new", "kept"]);
    assert.deepEqual(result.kept, ["kept"]);
    assert.deepEqual(result.started, ["new"]);
    assert.deepEqual(result.stopped, ["gone"]);
    assert.equal(await ask(portOf(result.servers.new.addr), "n"), "B:n");
    // The removed server refuses new connections and lets the open one finish.
    assert.equal(await isRefused(gonePort), true);
    assert.equal(await askOn(open, "p"), "A:p");
    let drained = false;
    result.drained.then(() => drained = true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(drained, false, "still draining while a connection is open");
    closeQuietly(open);
    await result.drained;
  } finally {
    closeQuietly(open);
    await stopServers(current, 100);
  }
});

Deno.test("reconcile: a new kind on the same port re-binds it; the old server's open connection finishes", async () => {
  const free = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = free.addr.port;
  free.close();
  const servers = await startServers(
    await resolve(tcp("x", "VersionA", port)),
    {
      shutdownTimeoutMs: 1000,
    },
  );
  const open = await Deno.connect({ hostname: "127.0.0.1", port });
  let current: Record<string, Server> = servers;
  try {
    assert.equal(await askOn(open, "o"), "A:o");
    const result = await reconcileServers(
      servers,
      await resolve(http("x", "handlerB", port)),
      { shutdownTimeoutMs: 1000 },
    );
    current = result.servers;
    assert.deepEqual([result.kept, result.started, result.stopped], [
      [],
      ["x"],
      ["x"],
    ]);
    const response = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(await response.text(), "B");
    assert.equal(await askOn(open, "p"), "A:p");
    closeQuietly(open);
    await result.drained;
  } finally {
    closeQuietly(open);
    await stopServers(current, 100);
  }
});

Deno.test("reconcile: a server that cannot start leaves the running ones untouched", async () => {
  const holder = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const servers = await startServers(await resolve(tcp("echo", "VersionA")), {
    shutdownTimeoutMs: 100,
  });
  const port = portOf(servers.echo.addr);
  try {
    await assert.rejects(
      reconcileServers(
        servers,
        await resolve(
          tcp("echo", "VersionB") + tcp("busy", "VersionB", holder.addr.port),
        ),
        { shutdownTimeoutMs: 100 },
      ),
      (error: unknown) =>
        error instanceof AioError &&
        /^Cannot start server \[server\/busy\]/.test(error.message),
    );
    assert.equal(await ask(port, "s"), "A:s");
  } finally {
    holder.close();
    await stopServers(servers, 100);
  }
});

Deno.test("sameBinding: kind, transport, address, port, path, reuse_port and TLS material count; the code does not", async () => {
  const [a, b, c, d, e] = await resolve(
    tcp("a", "VersionA", 8001) + tcp("b", "VersionB", 8001) +
      tcp("c", "VersionA", 8002) + http("d", "handlerA", 8001) +
      tcp("e", "VersionA", 8001, "reuse_port = yes"),
  );
  assert.equal(sameBinding(a, b), true);
  assert.equal(sameBinding(a, c), false);
  assert.equal(sameBinding(a, d), false);
  assert.equal(sameBinding(a, e), false);
});

Deno.test("replace: an http server started with a handler that takes no request cannot swap in one that does", async () => {
  const servers = await startServers(await resolve(http("web", "bare")), {
    shutdownTimeoutMs: 100,
  });
  try {
    const web = servers.web as RunningServer;
    const [next] = await resolve(http("web", "handlerB"));
    assert.equal(web.canReplace(next), false);
    assert.equal(web.replace(next), false);
    const response = await fetch(`http://127.0.0.1:${portOf(web.addr)}/`);
    assert.equal(await response.text(), "bare");
  } finally {
    await stopServers(servers, 100);
  }
});

Deno.test("observer: connections opened and closed, accepted total, HTTP responses by status", async () => {
  const events: string[] = [];
  const observer: ServerObserver = {
    connectionOpened: (server) => events.push(`open ${server}`),
    connectionClosed: (server) => events.push(`close ${server}`),
    httpResponse: (server, status) => events.push(`${server} ${status}`),
  };
  const servers = await startServers(
    await resolve(
      tcp("echo", "VersionA") + http("web", "failsSometimes") +
        http("plain", "bare"),
    ),
    { shutdownTimeoutMs: 100, observer },
  );
  try {
    for (const text of ["a", "b", "c"]) {
      assert.equal(await ask(portOf(servers.echo.addr), text), `A:${text}`);
    }
    await eventually(() =>
      events.filter((event) => event === "close echo").length === 3
    );
    const get = async (name: string, path: string) => {
      const response = await fetch(
        `http://127.0.0.1:${portOf(servers[name].addr)}${path}`,
      );
      await response.body?.cancel();
      return response.status;
    };
    assert.equal(await get("web", "/"), 200);
    assert.equal(await get("web", "/fail"), 500);
    assert.equal(await get("plain", "/"), 200);
    assert.deepEqual(events.filter((event) => event.includes("echo")), [
      "open echo",
      "close echo",
      "open echo",
      "close echo",
      "open echo",
      "close echo",
    ]);
    assert.deepEqual(events.filter((event) => !event.includes("echo")), [
      "web 200",
      "web 500",
      "plain 200",
    ]);
  } finally {
    await stopServers(servers, 100);
  }
});
