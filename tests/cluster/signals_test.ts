import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import {
  bridgeSignals,
  type ClusterSignals,
  type ClusterSignalsOptions,
} from "../../src/cluster/signals.ts";
import {
  type ClusterConnection,
  connectCluster,
} from "../../src/cluster/connection.ts";
import { AioError } from "../../src/errors.ts";
import { Signals } from "../../src/signals.ts";
import { startNats } from "./_nats.ts";
import { startProxy } from "./_proxy.ts";
import { captureLogs, clusterSpec, waitForState } from "./_helpers.ts";

const PATTERNS = ["order-*", "ping", "weird*"];

interface Node {
  connection: ClusterConnection;
  signals: Signals;
  bridge: ClusterSignals;
  [Symbol.asyncDispose](): Promise<void>;
}

async function node(
  url: string,
  options: Partial<ClusterSignalsOptions> & { extra?: string } = {},
): Promise<Node> {
  const connection = await connectCluster(clusterSpec(url, options.extra), {
    minBackoffMs: 20,
    maxBackoffMs: 100,
  });
  const signals = new Signals();
  const bridge = await bridgeSignals(connection, signals, {
    patterns: PATTERNS,
    ...options,
  });
  return {
    connection,
    signals,
    bridge,
    async [Symbol.asyncDispose]() {
      await bridge.close(500);
      await connection.close(500);
    },
  };
}

/**
 * Records the calls of a listener on `signal` of `node`, once the node is
 * subscribed; `until(n)` waits for n calls.
 */
async function record(node: Node, signal: string, result: unknown = "ok") {
  const signals = node.signals;
  const calls: [string, unknown][] = [];
  let waiting: { count: number; resolve: () => void } | undefined;
  signals.listen(signal, (name, message) => {
    calls.push([name, message]);
    if (waiting && calls.length >= waiting.count) waiting.resolve();
    return result;
  });
  await node.bridge.ready();
  return {
    calls,
    until(count: number, timeoutMs = 10_000): Promise<void> {
      if (calls.length >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `${signal}: ${calls.length} calls, not ${count}, after ${timeoutMs} ms`,
              ),
            ),
          timeoutMs,
        );
        waiting = {
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        };
      });
    },
  };
}

/**
 * Waits until everything `from` published so far has reached `to`: NATS
 * keeps one publisher's messages in order.
 */
async function barrier(from: Node, to: Node): Promise<void> {
  const token = crypto.randomUUID();
  const heard = Promise.withResolvers<void>();
  const listener = (_: string, message: unknown) => {
    if (message === token) heard.resolve();
  };
  to.signals.listen("ping", listener);
  await to.bridge.ready();
  try {
    await from.signals.emit("ping", token);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      heard.promise,
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error("barrier timed out")),
          10_000,
        );
      }),
    ]).finally(() => clearTimeout(timer));
  } finally {
    to.signals.unlisten("ping", listener);
  }
}

Deno.test("signals: every node hears a cluster signal exactly once, the emitter too", async () => {
  await using nats = await startNats();
  await using a = await node(nats.url);
  await using b = await node(nats.url);
  await using c = await node(nats.url);
  const onA = await record(a, "order-created", "from a");
  const onB = await record(b, "order-created");
  const onC = await record(c, "order-created");
  const message = { id: 7, items: [{ sku: "x", qty: 2 }], note: null };
  assert.deepEqual(await a.signals.emit("order-created", message), ["from a"]);
  await Promise.all([onB.until(1), onC.until(1)]);
  // Anything B or C sends now reaches A after any echo of A's message would.
  await barrier(b, a);
  await barrier(c, a);
  assert.deepEqual(onA.calls, [["order-created", message]]);
  assert.deepEqual(onB.calls, [["order-created", message]]);
  assert.deepEqual(onC.calls, [["order-created", message]]);
  assert.notEqual(onB.calls[0][1], message, "B got its own copy");
});

Deno.test("signals: 2,000 messages arrive once each and in order", async () => {
  await using nats = await startNats();
  await using a = await node(nats.url);
  await using b = await node(nats.url);
  const onA = await record(a, "order-n");
  const onB = await record(b, "order-n");
  const emits = [];
  for (let i = 0; i < 2_000; i++) emits.push(a.signals.emit("order-n", i));
  await Promise.all(emits);
  await onB.until(2_000);
  await barrier(b, a);
  await barrier(a, b);
  const expected = Array.from({ length: 2_000 }, (_, i) => ["order-n", i]);
  assert.deepEqual(onB.calls, expected);
  assert.deepEqual(onA.calls, expected);
});

Deno.test("signals: a signal the patterns do not name stays on its node", async () => {
  await using nats = await startNats();
  await using a = await node(nats.url);
  await using b = await node(nats.url);
  const onA = await record(a, "user-created");
  const onB = await record(b, "user-created");
  assert.deepEqual(await a.signals.emit("user-created", 1), ["ok"]);
  await barrier(a, b);
  assert.equal(onA.calls.length, 1);
  assert.equal(onB.calls.length, 0);
  assert.ok(!a.bridge.matches("user-created"));
  assert.ok(a.bridge.matches("order-x"));
});

Deno.test("signals: a node is sent only the cluster signals it listens to, from when it listens", async () => {
  await using nats = await startNats();
  await using a = await node(nats.url);
  await using b = await node(nats.url);
  const received = () => b.connection.client!.stats().inMsgs;
  await a.signals.emit("order-x", 1);
  await barrier(a, b); // B receives the barrier's ping, nothing else
  assert.equal(received(), 1);
  const onB = await record(b, "order-x");
  await a.signals.emit("order-x", 2);
  await onB.until(1);
  assert.deepEqual(onB.calls, [["order-x", 2]]);
  b.signals.clear();
  await b.bridge.ready();
  const before = received();
  await a.signals.emit("order-x", 3);
  await barrier(a, b);
  assert.equal(received(), before + 1, "only the barrier's ping came");
  assert.equal(onB.calls.length, 1);
});

Deno.test("signals: a message that is not JSON is refused at emit; nothing runs or goes out", async () => {
  await using nats = await startNats();
  await using a = await node(nats.url);
  await using b = await node(nats.url);
  const onA = await record(a, "order-created");
  const onB = await record(b, "order-created");
  for (const bad of [{ at: new Date() }, () => 1, 1n, [undefined]]) {
    const error = await a.signals.emit("order-created", bad).then(
      () => assert.fail("a non-JSON message was sent"),
      (error) => error,
    );
    assert.ok(error instanceof TypeError, String(error));
    assert.match(error.message, /not a JSON value/);
  }
  await barrier(a, b);
  assert.equal(onA.calls.length, 0);
  assert.equal(onB.calls.length, 0);
  // No message at all is fine: it arrives as undefined.
  await a.signals.emit("order-created");
  await onB.until(1);
  assert.deepEqual(onB.calls, [["order-created", undefined]]);
});

Deno.test("signals: odd signal names travel safely and arrive unchanged", async () => {
  await using nats = await startNats();
  await using a = await node(nats.url);
  await using b = await node(nats.url);
  const names = ["weird.name", "weird name", "weird*>", "weird=41", "weird🎉"];
  const heard: string[] = [];
  for (const name of names) {
    b.signals.listen(name, (signal) => void heard.push(signal));
  }
  await b.bridge.ready();
  for (const name of names) await a.signals.emit(name, name);
  await barrier(a, b);
  assert.deepEqual(heard, names);
});

Deno.test("signals: a failing listener on another node is logged there and does not reach the emitter", async () => {
  const logs = await captureLogs();
  try {
    await using nats = await startNats();
    await using a = await node(nats.url);
    await using b = await node(nats.url);
    b.signals.listen("order-created", () => {
      throw new Error("b is broken");
    }, { name: "./b.ts#onOrder" });
    await b.bridge.ready();
    assert.deepEqual(await a.signals.emit("order-created", 1), []);
    await barrier(a, b);
    const errors = logs.messages("error");
    assert.equal(errors.length, 1, errors.join("\n"));
    assert.match(errors[0], /\.\/b\.ts#onOrder.*order-created.*b is broken/);
  } finally {
    await logs.stop();
  }
});

Deno.test("signals: a message published by hand on the subject is heard; a non-JSON one is dropped with a warning", async () => {
  const logs = await captureLogs();
  try {
    await using nats = await startNats();
    await using b = await node(nats.url, { extra: "name = shop" });
    const onB = await record(b, "order-created");
    const raw = await connect({ servers: nats.url });
    try {
      raw.publish("shop.signal.order-created", "not json");
      raw.publish("shop.signal.order-created", JSON.stringify({ by: "hand" }));
      raw.publish("shop.signal.order=2", "{}"); // not a token aio makes
      raw.publish("shop.signal.order-created.x", "{}"); // a token too many
      raw.publish("aio.signal.order-created", "{}"); // another cluster
      await raw.flush();
    } finally {
      await raw.close();
    }
    await onB.until(1);
    // The next message from the same publisher would have come after these.
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(onB.calls, [["order-created", { by: "hand" }]]);
    const warnings = logs.messages("warning");
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0], /order-created whose body is not JSON/);
  } finally {
    await logs.stop();
  }
});

Deno.test("signals: during one node's outage its emits run locally at once, and are delivered once when it is back", async () => {
  const logs = await captureLogs();
  try {
    await using nats = await startNats();
    await using proxy = startProxy(nats.port);
    await using a = await node(proxy.url);
    await using b = await node(nats.url);
    const onA = await record(a, "order-n", "local");
    const onB = await record(b, "order-n");
    await a.signals.emit("order-n", 0);
    await onB.until(1);
    proxy.cut();
    await waitForState(a.connection, "reconnecting");
    for (let i = 1; i <= 5; i++) {
      const started = performance.now();
      assert.deepEqual(await a.signals.emit("order-n", i), ["local"]);
      assert.ok(performance.now() - started < 200, "emit waited on NATS");
    }
    assert.equal(onA.calls.length, 6);
    assert.equal(a.bridge.queued, 5);
    assert.equal(onB.calls.length, 1);
    proxy.restore();
    await waitForState(a.connection, "connected");
    await onB.until(6);
    await a.signals.emit("order-n", 6);
    await barrier(a, b);
    assert.deepEqual(onB.calls.map(([, m]) => m), [0, 1, 2, 3, 4, 5, 6]);
    assert.equal(a.bridge.queued, 0);
  } finally {
    await logs.stop();
  }
});

Deno.test("signals: messages in flight when the link drops are sent again (at least once)", async () => {
  await using nats = await startNats();
  await using proxy = startProxy(nats.port);
  await using a = await node(proxy.url, { flushTimeoutMs: 100 });
  await using b = await node(nats.url);
  const onB = await record(b, "order-n");
  // A plain subscriber sees every copy on the wire.
  const raw = await connect({ servers: nats.url });
  const wire: number[] = [];
  raw.subscribe("aio.signal.order-n", {
    callback: (_error, msg) => void wire.push(msg.json<number>()),
  });
  await raw.flush();
  await a.signals.emit("order-n", 0);
  await onB.until(1);
  // The server gets A's messages, but A never hears it acknowledge them.
  proxy.muteReplies(true);
  const emits = [1, 2, 3].map((i) => a.signals.emit("order-n", i));
  await onB.until(4);
  await Promise.all(emits); // resolved by flushTimeoutMs
  proxy.cut();
  proxy.muteReplies(false);
  await waitForState(a.connection, "reconnecting");
  proxy.restore();
  await waitForState(a.connection, "connected");
  await a.signals.emit("order-n", 4);
  await barrier(a, b);
  await raw.flush();
  await raw.close();
  // The server had passed 1 to 3 on, but A cannot know: it sends them
  // again, and B hears them twice.
  assert.deepEqual(wire, [0, 1, 2, 3, 1, 2, 3, 4], "sent again after the drop");
  assert.deepEqual(onB.calls.map(([, m]) => m), [0, 1, 2, 3, 1, 2, 3, 4]);
});

Deno.test("signals: when the outage queue is full, emit rejects after its local listeners ran", async () => {
  const logs = await captureLogs();
  try {
    await using nats = await startNats();
    await using proxy = startProxy(nats.port);
    // Room for two messages of this size (body + subject).
    await using a = await node(proxy.url, { queueBytes: 60 });
    await using b = await node(nats.url);
    const onA = await record(a, "order-n", "local");
    const onB = await record(b, "order-n");
    proxy.cut();
    await waitForState(a.connection, "reconnecting");
    // 12 bytes of JSON + 18 of subject (aio.signal.order-n).
    const body = "x".repeat(10);
    await a.signals.emit("order-n", body);
    await a.signals.emit("order-n", body);
    const error = await a.signals.emit("order-n", body).then(
      () => assert.fail("a third message fit"),
      (error) => error,
    );
    assert.ok(error instanceof AioError);
    assert.match(
      error.message,
      /^cluster signal order-n reached this node only: NATS is unreachable and the outage queue is full \(2 messages, 60 bytes\)$/,
    );
    assert.equal(onA.calls.length, 3, "the local listener ran all three times");
    proxy.restore();
    await waitForState(a.connection, "connected");
    await onB.until(2);
    await barrier(a, b);
    assert.equal(onB.calls.length, 2);
    assert.ok(
      logs.messages("error").some((m) =>
        m.startsWith(
          "1 cluster signal message(s) emitted during the NATS outage reached this node only",
        )
      ),
      logs.messages().join("\n"),
    );
  } finally {
    await logs.stop();
  }
});

Deno.test("signals: a background node queues what it emits before its first connect", async () => {
  await using nats = await startNats();
  await using proxy = startProxy(nats.port);
  proxy.cut();
  await using a = await node(proxy.url, { extra: "connect = background" });
  await using b = await node(nats.url);
  const onB = await record(b, "order-n");
  assert.equal(a.connection.status.state, "connecting");
  assert.deepEqual(await a.signals.emit("order-n", "early"), []);
  proxy.restore();
  await waitForState(a.connection, "connected");
  await onB.until(1);
  assert.deepEqual(onB.calls, [["order-n", "early"]]);
});

Deno.test("signals: closing with messages still queued logs how many were lost; then signals are local", async () => {
  const logs = await captureLogs();
  try {
    await using nats = await startNats();
    await using proxy = startProxy(nats.port);
    const a = await node(proxy.url);
    try {
      proxy.cut();
      await waitForState(a.connection, "reconnecting");
      await a.signals.emit("order-n", 1);
      await a.signals.emit("order-n", 2);
    } finally {
      await a[Symbol.asyncDispose]();
    }
    assert.ok(
      logs.messages("error").includes(
        "2 cluster signal message(s) were never sent: NATS was unreachable when the app stopped",
      ),
      logs.messages().join("\n"),
    );
    // The bridge is gone: the signal is local, and emit does not fail.
    const onA = await record(a, "order-n");
    assert.deepEqual(await a.signals.emit("order-n", 3), ["ok"]);
    assert.equal(onA.calls.length, 1);
  } finally {
    await logs.stop();
  }
});

Deno.test("signals: two real processes hear each other's cluster signals once", async () => {
  await using nats = await startNats();
  await using a = await node(nats.url);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./_node.ts", import.meta.url).pathname,
      nats.url,
      "300",
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let output = "";
  const readUntil = async (text: string) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`child said: ${JSON.stringify(output)}`)),
        20_000,
      );
    });
    try {
      while (!output.includes(text)) {
        const { value, done } = await Promise.race([lines.read(), timeout]);
        if (done) throw new Error(`child ended: ${JSON.stringify(output)}`);
        output += value;
      }
    } finally {
      clearTimeout(timer);
    }
  };
  try {
    const done = await record(a, "order-done");
    await readUntil("ready\n");
    for (let i = 0; i < 300; i++) await a.signals.emit("order-n", i);
    await done.until(1, 20_000);
    // The child counted each message once, in order.
    assert.deepEqual(done.calls, [["order-done", {
      count: 300,
      inOrder: true,
    }]]);
    // It heard its own order-done once, from its emit, and no echo of it.
    child.kill("SIGTERM");
    await readUntil("heard 300 order-n, 1 order-done\n");
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await child.status;
    await lines.cancel().catch(() => {});
  }
});
