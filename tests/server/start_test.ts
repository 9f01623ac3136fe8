import assert from "node:assert/strict";
import dgram from "node:dgram";
import { ConfigParser } from "../../src/config/config_parser.ts";
import { ConfigError } from "../../src/config/errors.ts";
import { AioError, ConfigErrors } from "../../src/errors.ts";
import {
  resolveServers,
  RunningServer,
  type Server,
  startServers as startServersWith,
  stopServers,
} from "../../src/server/mod.ts";
import {
  fixture,
  isRefused,
  portOf,
  readAll,
  readLine,
  roundTrip,
  TLS,
  writeAll,
} from "./_helpers.ts";
import { ModuleLoader } from "../../src/refs.ts";
import { Problems } from "../../src/config/problems.ts";

/** Resolves the servers of `config` with a fresh module loader and starts them, as `aio run` does. */
async function startServers(
  config: ConfigParser,
  options: { shutdownTimeoutMs?: number } = {},
): Promise<Record<string, Server>> {
  const problems = new Problems();
  const resolved = await resolveServers(config, new ModuleLoader(), problems);
  problems.throwIfAny();
  return await startServersWith(resolved, {
    shutdownTimeoutMs: options.shutdownTimeoutMs ?? 0,
  });
}

const FILE = "/srv/app/aio.conf";
const PROTOCOLS = fixture("protocols.ts");
const ADDITION = new URL("../../examples/addition/addition.ts", import.meta.url)
  .pathname;

function parse(text: string): ConfigParser {
  return new ConfigParser().readString(text, FILE);
}

/** A port that was free a moment ago. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = portOf(listener.addr);
  listener.close();
  return port;
}

async function add(port: number, sum: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await writeAll(conn, `${sum}\n`);
    return await readLine(conn);
  } finally {
    conn.close();
  }
}

Deno.test("start: the seed's addition server by protocol and by factory", async () => {
  const servers = await startServers(parse(`
[server/addition]
protocol = ${ADDITION}#AdditionProtocol
address = 127.0.0.1
port = 0

[server/addition-factory]
factory = ${ADDITION}#additionServerFactory
address = 127.0.0.1
port = 0
`));
  try {
    assert.deepEqual(Object.keys(servers), ["addition", "addition-factory"]);
    for (const server of Object.values(servers)) {
      assert.notEqual(portOf(server.addr), 0);
      assert.equal(await add(portOf(server.addr), "2 + 2 + 3"), "7\n");
    }
  } finally {
    await stopServers(servers, 1_000);
  }
});

Deno.test("start: every transport, then stopping frees every port", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/echo.sock`;
  const servers = await startServers(
    parse(`
[server/tcp]
protocol = ${PROTOCOLS}#Echo
address = 127.0.0.1
port = 0

[server/unix]
protocol = ${PROTOCOLS}#Echo
path = ${path}

[server/tls]
protocol = ${PROTOCOLS}#Echo
transport = tls
cert = ${TLS.certPath}
key = ${TLS.keyPath}
address = 127.0.0.1
port = 0

[server/udp]
protocol = ${PROTOCOLS}#UdpEcho
transport = udp
address = 127.0.0.1
port = 0

[server/http]
handler = ${PROTOCOLS}#hello
address = 127.0.0.1
port = 0

[server/https]
handler = ${PROTOCOLS}#hello
cert = ${TLS.certPath}
key = ${TLS.keyPath}
address = 127.0.0.1
port = 0

[server/by-factory]
factory = ${PROTOCOLS}#echoFactory
address = 127.0.0.1
port = 0
`),
    { shutdownTimeoutMs: 1_000 },
  );
  const client = Deno.createHttpClient({ caCerts: [TLS.cert] });
  const ports = {
    tcp: portOf(servers.tcp.addr),
    tls: portOf(servers.tls.addr),
    udp: portOf(servers.udp.addr),
    http: portOf(servers.http.addr),
    https: portOf(servers.https.addr),
    factory: portOf(servers["by-factory"].addr),
  };
  try {
    assert.equal(await roundTrip(ports.tcp, "tcp"), "tcp");
    assert.equal(await roundTrip(ports.factory, "factory"), "factory");
    const unix = await Deno.connect({ transport: "unix", path });
    await writeAll(unix, "unix");
    await unix.closeWrite();
    assert.equal(await readAll(unix), "unix");
    unix.close();
    const tls = await Deno.connectTls({
      hostname: "localhost",
      port: ports.tls,
      caCerts: [TLS.cert],
    });
    await writeAll(tls, "tls");
    await tls.closeWrite();
    assert.equal(await readAll(tls), "tls");
    tls.close();
    assert.equal(await udpAsk(ports.udp, "udp"), "udp");
    const http = await fetch(`http://127.0.0.1:${ports.http}/plain`);
    assert.equal(await http.text(), "hello /plain");
    const https = await fetch(`https://localhost:${ports.https}/tls`, {
      client,
    });
    assert.equal(await https.text(), "hello /tls");
  } finally {
    client.close();
    await stopServers(servers, 1_000);
  }
  // Every port and the socket file are free again.
  for (
    const port of [ports.tcp, ports.tls, ports.http, ports.https, ports.factory]
  ) {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
  }
  const udp = dgram.createSocket("udp4");
  await new Promise<void>((resolve) =>
    udp.bind(ports.udp, "127.0.0.1", resolve)
  );
  await new Promise<void>((resolve) => udp.close(() => resolve()));
  await assert.rejects(Deno.lstat(path), Deno.errors.NotFound);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("start: a port in use fails as a whole, naming section, address and port", async () => {
  const firstPort = freePort();
  const holder = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const busy = portOf(holder.addr);
  try {
    const error = await assert.rejects(
      startServers(parse(`
[server/first]
protocol = ${PROTOCOLS}#Echo
address = 127.0.0.1
port = ${firstPort}

[server/busy]
protocol = ${PROTOCOLS}#Echo
address = 127.0.0.1
port = ${busy}
`)),
      (error: unknown) => {
        assert.ok(error instanceof AioError);
        assert.equal(error.exitCode, 1);
        assert.match(
          error.message,
          new RegExp(
            `^Cannot start server \\[server/busy\\] on 127\\.0\\.0\\.1:${busy}: .*in use`,
            "i",
          ),
        );
        return true;
      },
    );
    void error;
    // The server that had started was closed again.
    assert.equal(await isRefused(firstPort), true);
    Deno.listen({ hostname: "127.0.0.1", port: firstPort }).close();
  } finally {
    holder.close();
  }
});

Deno.test("start: an address that cannot be bound is a runtime error", async () => {
  await assert.rejects(
    startServers(parse(`
[server/far]
handler = ${PROTOCOLS}#hello
address = 192.0.2.1
port = 0
`)),
    (error: unknown) =>
      error instanceof AioError &&
      error.message.startsWith(
        "Cannot start server [server/far] on 192.0.2.1:0: ",
      ),
  );
});

Deno.test("start: a protocol that is not a class is a config error at its line", async () => {
  await assert.rejects(
    startServers(parse(`[server/x]
protocol = ${PROTOCOLS}#notAClass
port = 0
`)),
    (error: unknown) =>
      error instanceof ConfigError && error.line === 2 &&
      error.source === FILE && /must name a class/.test(error.message),
  );
});

Deno.test("start: a factory that returns no close() is a config error at its line", async () => {
  await assert.rejects(
    startServers(parse(`[server/x]
address = 127.0.0.1
factory = ${PROTOCOLS}#factoryWithoutClose
port = 0
`)),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.message ===
        `${FILE}:3: [server/x] factory: '${PROTOCOLS}#factoryWithoutClose' must return a server with close(), not an object without close()`,
  );
});

Deno.test("start: a factory's own server is wrapped with its address", async () => {
  const servers = await startServers(parse(`[server/raw]
factory = ${PROTOCOLS}#rawListenerFactory
address = 127.0.0.1
port = 0
`));
  const server = servers.raw;
  assert.ok(server instanceof RunningServer);
  assert.ok(server.server instanceof Object);
  assert.notEqual(portOf(server.addr), 0);
  await stopServers(servers, 100);
  assert.equal(await isRefused(portOf(server.addr)), true);
});

Deno.test("start: config problems of several sections come together", async () => {
  await assert.rejects(
    startServers(parse(`[server/a]
port = 1

[server/b]
protocol = ${PROTOCOLS}#Echo
port = many
`)),
    (error: unknown) =>
      error instanceof ConfigErrors && error.errors.length === 2 &&
      error.errors[0].line === 1 && error.errors[1].line === 6,
  );
});

Deno.test("stop: requests in flight are answered, within the timeout", async () => {
  const servers: Record<string, Server> = await startServers(parse(`
[server/slow]
handler = ${fixture("slow_handler.ts")}#slow
address = 127.0.0.1
port = 0
`));
  const port = portOf(servers.slow.addr);
  const { entered } = await import(fixture("slow_handler.ts"));
  const client = Deno.createHttpClient({});
  try {
    const answers = Promise.all([1, 2, 3].map(async (i) => {
      const response = await fetch(`http://127.0.0.1:${port}/${i}`, {
        client,
      });
      return await response.text();
    }));
    await entered(3);
    const started = performance.now();
    await stopServers(servers, 5_000);
    assert.ok(performance.now() - started < 5_000);
    assert.deepEqual(await answers, ["slow /1", "slow /2", "slow /3"]);
    assert.equal(await isRefused(port), true);
  } finally {
    client.close();
  }
});

async function udpAsk(port: number, text: string): Promise<string> {
  const socket = dgram.createSocket("udp4");
  const reply = new Promise<string>((resolve) =>
    socket.once("message", (message) => resolve(message.toString()))
  );
  socket.send(text, port, "127.0.0.1");
  try {
    return await reply;
  } finally {
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}
