import assert from "node:assert/strict";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import { listenStream } from "../../src/server/tcp.ts";
import { HIGH_WATER_MARK, type Transport } from "../../src/server/transport.ts";
import { AdditionProtocol } from "../../examples/addition/addition.ts";
import { Echo } from "../fixtures/servers/protocols.ts";
import {
  isRefused,
  portOf,
  readAll,
  readBytes,
  readLine,
  roundTrip,
  TLS,
  writeAll,
} from "./_helpers.ts";

const LOCAL = { hostname: "127.0.0.1", port: 0 };

Deno.test("tcp: echo server answers each connection", async () => {
  const server = listenStream(Echo, LOCAL);
  try {
    const port = portOf(server.addr);
    assert.notEqual(port, 0);
    assert.equal(await roundTrip(port, "hello"), "hello");
    assert.equal(await roundTrip(port, "again"), "again");
  } finally {
    await server.close();
  }
});

Deno.test("tcp: the addition protocol answers 2 + 2 + 3 with 7", async () => {
  const server = listenStream(AdditionProtocol, LOCAL);
  const conn = await Deno.connect({ ...LOCAL, port: portOf(server.addr) });
  try {
    await writeAll(conn, "2 + 2 + 3\n");
    assert.equal(await readLine(conn), "7\n");
    await writeAll(conn, "1 + x\n10 +");
    assert.equal(await readLine(conn), 'error: cannot add "1 + x"\n');
    await writeAll(conn, " 5");
    await conn.closeWrite();
    assert.equal(await readAll(conn), "15\n");
  } finally {
    conn.close();
    await server.close();
  }
});

Deno.test("unix: echo over a unix socket, file removed on close", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/echo.sock`;
  const server = listenStream(Echo, { transport: "unix", path });
  try {
    assert.equal((server.addr as Deno.UnixAddr).path, path);
    const conn = await Deno.connect({ transport: "unix", path });
    try {
      await writeAll(conn, "over unix");
      const reply = await readBytes(conn, 9);
      assert.equal(new TextDecoder().decode(reply), "over unix");
    } finally {
      conn.close();
    }
  } finally {
    await server.close();
    await assert.rejects(Deno.lstat(path), Deno.errors.NotFound);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tls: echo over TLS with the test certificate", async () => {
  const server = listenStream(Echo, {
    ...LOCAL,
    transport: "tls",
    cert: TLS.cert,
    key: TLS.key,
  });
  const conn = await Deno.connectTls({
    hostname: "localhost",
    port: portOf(server.addr),
    caCerts: [TLS.cert],
  });
  try {
    await writeAll(conn, "secret");
    assert.equal(new TextDecoder().decode(await readBytes(conn, 6)), "secret");
  } finally {
    conn.close();
    await server.close();
  }
});

Deno.test("tcp: 1,000 concurrent connections each get their own answer", async () => {
  const limit = openFileLimit();
  assert.ok(
    limit === undefined || limit >= 2_200,
    `ulimit -n is ${limit}; this test needs 2,200 descriptors`,
  );
  const server = listenStream(AdditionProtocol, LOCAL);
  const port = portOf(server.addr);
  const conns = await Promise.all(
    Array.from({ length: 1_000 }, () => Deno.connect({ ...LOCAL, port })),
  );
  try {
    const answers = await Promise.all(conns.map(async (conn, i) => {
      await writeAll(conn, `${i} + ${i} + 1\n`);
      return await readLine(conn);
    }));
    answers.forEach((answer, i) => assert.equal(answer, `${2 * i + 1}\n`));
    assert.equal(server.connections.size, 1_000);
  } finally {
    for (const conn of conns) conn.close();
    await server.close();
  }
});

Deno.test("tcp: a 10 MB echo to a slow reader keeps the write buffer bounded", async () => {
  const server = listenStream(Echo, LOCAL);
  const conn = await Deno.connect({ ...LOCAL, port: portOf(server.addr) });
  const size = 10 * 1024 * 1024;
  const payload = new Uint8Array(size);
  for (let i = 0; i < size; i++) payload[i] = (i * 7 + (i >> 12)) & 0xff;
  try {
    const sending = writeAll(conn, payload);
    let maxBuffered = 0;
    let transport: Transport | undefined;
    const received = new Uint8Array(size);
    let offset = 0;
    while (offset < size) {
      // A slow reader: small reads with a pause in between.
      const count = await conn.read(
        received.subarray(offset, Math.min(size, offset + 32 * 1024)),
      );
      assert.notEqual(count, null, "the echo ended early");
      offset += count!;
      transport ??= [...server.connections][0];
      maxBuffered = Math.max(maxBuffered, transport?.bufferedAmount ?? 0);
      if (offset % (1024 * 1024) < 32 * 1024) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    await sending;
    assert.deepEqual(received, payload);
    const paused = [...server.connections][0].pauseCount;
    assert.ok(paused > 0, "reading never paused");
    // Over the mark by at most one read (64 KiB) before reading stops.
    assert.ok(
      maxBuffered <= HIGH_WATER_MARK + 64 * 1024,
      `write buffer reached ${maxBuffered} bytes`,
    );
  } finally {
    conn.close();
    await server.close();
  }
});

Deno.test("tcp: a protocol callback that throws closes that connection only, logged", async () => {
  const records: LogRecord[] = [];
  await configure({
    sinks: { memory: (record) => records.push(record) },
    loggers: [
      { category: ["aio", "server"], sinks: ["memory"], lowestLevel: "error" },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "fatal" },
    ],
  });
  const lost: (Error | undefined)[] = [];
  class Fragile {
    transport!: Transport;
    connectionMade(transport: Transport) {
      this.transport = transport;
    }
    dataReceived(data: Uint8Array) {
      if (new TextDecoder().decode(data).includes("boom")) {
        throw new Error("fragile exploded");
      }
      this.transport.write(data);
    }
    connectionLost(error?: Error) {
      lost.push(error);
    }
  }
  const server = listenStream(Fragile, { ...LOCAL, name: "fragile" });
  const port = portOf(server.addr);
  const good = await Deno.connect({ ...LOCAL, port });
  const bad = await Deno.connect({ ...LOCAL, port });
  try {
    await writeAll(bad, "boom");
    assert.equal(await readAll(bad), "", "the failing connection was closed");
    await writeAll(good, "still here");
    assert.equal(
      new TextDecoder().decode(await readBytes(good, 10)),
      "still here",
    );
    assert.equal(await roundTrip(port, "new one"), "new one");
    assert.equal(lost.length >= 1, true);
    assert.equal(lost[0]?.message, "fragile exploded");
    const logged = records.find((record) =>
      record.properties.server === "fragile"
    );
    assert.ok(logged, "the failure was logged with the server's name");
    assert.equal(logged.properties.method, "dataReceived");
  } finally {
    good.close();
    bad.close();
    await server.close();
    await reset();
  }
});

Deno.test("tcp: close() waits for open connections, refuses new ones, then aborts the rest", async () => {
  const lost: string[] = [];
  class SlowReply {
    transport!: Transport;
    timer?: ReturnType<typeof setTimeout>;
    connectionMade(transport: Transport) {
      this.transport = transport;
    }
    dataReceived(data: Uint8Array) {
      const text = new TextDecoder().decode(data);
      if (text === "never") return;
      this.timer = setTimeout(() => {
        this.transport.write(`done ${text}`);
        this.transport.close();
      }, 200);
    }
    connectionLost() {
      clearTimeout(this.timer);
      lost.push("lost");
    }
  }
  const server = listenStream(SlowReply, LOCAL);
  const port = portOf(server.addr);
  const conns = await Promise.all(
    [1, 2, 3].map(() => Deno.connect({ ...LOCAL, port })),
  );
  const stuck = await Deno.connect({ ...LOCAL, port });
  try {
    await Promise.all(conns.map((conn, i) => writeAll(conn, `r${i}`)));
    await writeAll(stuck, "never");
    const answers = Promise.all(conns.map((conn) => readAll(conn)));
    const stuckAnswer = readAll(stuck);
    const started = performance.now();
    const closing = server.close(1_500);
    await server.stopAccepting();
    assert.equal(await isRefused(port), true, "new connections are refused");
    assert.deepEqual(await answers, ["done r0", "done r1", "done r2"]);
    await closing;
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 1_400 && elapsed < 5_000, `took ${elapsed} ms`);
    assert.equal(await stuckAnswer, "", "the stuck connection was aborted");
    assert.equal(lost.length, 4);
    assert.equal(server.connections.size, 0);
  } finally {
    for (const conn of [...conns, stuck]) conn.close();
  }
});

Deno.test("tcp: closing frees the port for a new listener", async () => {
  const server = listenStream(Echo, LOCAL);
  const port = portOf(server.addr);
  const conn = await Deno.connect({ ...LOCAL, port });
  await writeAll(conn, "x");
  await readBytes(conn, 1);
  await server.close();
  conn.close();
  const again = listenStream(Echo, { ...LOCAL, port });
  try {
    assert.equal(portOf(again.addr), port);
    assert.equal(await roundTrip(port, "back"), "back");
  } finally {
    await again.close();
  }
});

Deno.test("tcp: a port in use throws AddrInUse", () => {
  const holder = Deno.listen(LOCAL);
  try {
    assert.throws(
      () => listenStream(Echo, { ...LOCAL, port: portOf(holder.addr) }),
      Deno.errors.AddrInUse,
    );
  } finally {
    holder.close();
  }
});

Deno.test("transport: drain() resolves once written, write after close is ignored", async () => {
  let transport!: Transport;
  let made!: () => void;
  const ready = new Promise<void>((resolve) => made = resolve);
  class Keeper {
    connectionMade(t: Transport) {
      transport = t;
      made();
    }
    dataReceived() {}
  }
  const server = listenStream(Keeper, LOCAL);
  const conn = await Deno.connect({ ...LOCAL, port: portOf(server.addr) });
  try {
    await ready;
    assert.equal(transport.isClosing(), false);
    assert.equal(portOf(transport.localAddr), portOf(server.addr));
    assert.equal(portOf(transport.remoteAddr), portOf(conn.localAddr));
    transport.write("abc");
    transport.write(new Uint8Array([100, 101]));
    await transport.drain();
    assert.equal(transport.bufferedAmount, 0);
    transport.close();
    transport.write("ignored");
    assert.equal(transport.isClosing(), true);
    assert.equal(await readAll(conn), "abcde");
    await assert.rejects(transport.drain(), /closed/);
  } finally {
    conn.close();
    await server.close();
  }
});

function openFileLimit(): number | undefined {
  try {
    const limits = Deno.readTextFileSync("/proc/self/limits");
    const match = /Max open files\s+(\d+)/.exec(limits);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

Deno.test("tcp: an async callback that rejects closes that connection, eofReceived can keep it half-open", async () => {
  const lost: (Error | undefined)[] = [];
  class Moody {
    transport!: Transport;
    connectionMade(transport: Transport) {
      this.transport = transport;
    }
    async dataReceived(data: Uint8Array) {
      await Promise.resolve();
      if (new TextDecoder().decode(data) === "reject") {
        throw new Error("moody rejected");
      }
      this.transport.write(data);
    }
    eofReceived() {
      // Answer after the peer stopped writing, then close ourselves.
      this.transport.write("bye");
      this.transport.close();
      return true;
    }
    connectionLost(error?: Error) {
      lost.push(error);
    }
  }
  const server = listenStream(Moody, LOCAL);
  const port = portOf(server.addr);
  const rejecting = await Deno.connect({ ...LOCAL, port });
  const polite = await Deno.connect({ ...LOCAL, port });
  try {
    await writeAll(rejecting, "reject");
    assert.equal(await readAll(rejecting), "");
    await writeAll(polite, "hi");
    assert.equal(new TextDecoder().decode(await readBytes(polite, 2)), "hi");
    await polite.closeWrite();
    assert.equal(await readAll(polite), "bye");
    assert.deepEqual(lost.map((error) => error?.message), [
      "moody rejected",
      undefined,
    ]);
  } finally {
    rejecting.close();
    polite.close();
    await server.close();
  }
});
