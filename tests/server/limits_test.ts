// idle_timeout and max_connections on real sockets.
import assert from "node:assert/strict";
import { listenStream } from "../../src/server/tcp.ts";
import type { Protocol, Transport } from "../../src/server/transport.ts";
import { portOf, readBytes, until, writeAll } from "./_helpers.ts";

const decoder = new TextDecoder();

/** Echoes, and remembers how each connection ended. */
class RecordingEcho implements Protocol {
  static lost: (Error | undefined)[] = [];
  static made = 0;
  transport!: Transport;
  connectionMade(transport: Transport) {
    RecordingEcho.made++;
    this.transport = transport;
  }
  dataReceived(data: Uint8Array) {
    this.transport.write(data);
  }
  connectionLost(error?: Error) {
    RecordingEcho.lost.push(error);
  }
}

/** Resolves with what `conn.read` gave, or "timeout" after `ms`. */
async function readWithin(
  conn: Deno.Conn,
  ms: number,
): Promise<string | null | "timeout"> {
  const buffer = new Uint8Array(64);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
  });
  const read = conn.read(buffer).then((count) =>
    count === null ? null : decoder.decode(buffer.subarray(0, count))
  );
  try {
    return await Promise.race([read, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("idle_timeout: a silent connection is closed after the timeout, a talking one is not", async () => {
  RecordingEcho.lost = [];
  const idleMs = 300;
  const server = listenStream(RecordingEcho, {
    hostname: "127.0.0.1",
    port: 0,
    idleTimeoutMs: idleMs,
  });
  const port = portOf(server.addr);
  const silent = await Deno.connect({ hostname: "127.0.0.1", port });
  const talking = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const started = performance.now();
    // The talking client sends a byte every 100 ms for three timeouts.
    const talk = (async () => {
      for (let i = 0; i < 9; i++) {
        await writeAll(talking, "x");
        assert.equal(decoder.decode(await readBytes(talking, 1)), "x");
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    assert.equal(await readWithin(silent, 5_000), null);
    const closedAfter = performance.now() - started;
    await talk;
    const talked = performance.now() - started;
    assert.ok(closedAfter >= idleMs - 5, `closed after ${closedAfter} ms`);
    // Two sweeps (37.5 ms each) late at most; 500 ms of slack for a loaded machine.
    assert.ok(
      closedAfter < idleMs + 75 + 500,
      `closed after ${closedAfter} ms`,
    );
    assert.ok(talked > 3 * idleMs, `talked for ${talked} ms`);
    assert.equal(server.connections.size, 1, "the talking one is still open");
    assert.ok(RecordingEcho.lost[0] instanceof Deno.errors.TimedOut);
    assert.match(RecordingEcho.lost[0]!.message, /idle_timeout/);
    // Once it goes quiet, it is closed too.
    assert.equal(await readWithin(talking, 5_000), null);
  } finally {
    silent.close();
    talking.close();
    await server.close();
  }
});

Deno.test("max_connections: beyond the limit newcomers wait, and are served once one closes", async () => {
  RecordingEcho.made = 0;
  const server = listenStream(RecordingEcho, {
    hostname: "127.0.0.1",
    port: 0,
    maxConnections: 2,
  });
  const port = portOf(server.addr);
  const connect = () => Deno.connect({ hostname: "127.0.0.1", port });
  const [a, b] = [await connect(), await connect()];
  const extra: Deno.Conn[] = [];
  try {
    for (const conn of [a, b]) {
      await writeAll(conn, "1");
      assert.equal(await readWithin(conn, 5_000), "1");
    }
    // The kernel completes the handshake; aio does not accept it yet.
    const c = await connect();
    extra.push(c);
    await writeAll(c, "c");
    const echo = readBytes(c, 1);
    const waited = await Promise.race([
      echo,
      new Promise((resolve) => setTimeout(() => resolve("timeout"), 300)),
    ]);
    assert.equal(waited, "timeout");
    assert.equal(RecordingEcho.made, 2);
    assert.equal(server.connections.size, 2);
    a.close();
    assert.equal(decoder.decode(await echo), "c");
    assert.equal(RecordingEcho.made, 3);
    // Raising the limit on the running server lets the next one in at once.
    server.setLimits({ maxConnections: 3 });
    const d = await connect();
    extra.push(d);
    await writeAll(d, "d");
    assert.equal(await readWithin(d, 5_000), "d");
    await until(() => server.connections.size === 3);
  } finally {
    for (const conn of [b, ...extra]) conn.close();
    await server.close();
  }
});

Deno.test("max_connections: close() ends a server that is waiting below its limit", async () => {
  const server = listenStream(RecordingEcho, {
    hostname: "127.0.0.1",
    port: 0,
    maxConnections: 1,
  });
  const conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: portOf(server.addr),
  });
  await until(() => server.connections.size === 1);
  const closing = server.close(0);
  assert.equal(await readWithin(conn, 5_000), null);
  await closing;
  conn.close();
});
