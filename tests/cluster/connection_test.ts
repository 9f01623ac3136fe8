import assert from "node:assert/strict";
import { connectCluster } from "../../src/cluster/connection.ts";
import { AioError } from "../../src/errors.ts";
import { freePort, startNats } from "./_nats.ts";
import { captureLogs, clusterSpec, waitForState } from "./_helpers.ts";

const TLS_DIR = new URL("../fixtures/tls/", import.meta.url).pathname;

Deno.test("connection: required fails fast, naming every URL, when nothing listens", async () => {
  const a = `nats://127.0.0.1:${freePort()}`;
  const b = `nats://me:hunter2@127.0.0.1:${freePort()}`;
  const started = performance.now();
  const error = await connectCluster(clusterSpec([a, b])).then(
    () => assert.fail("connected to nothing"),
    (error) => error,
  );
  const elapsed = performance.now() - started;
  assert.ok(error instanceof AioError, String(error));
  assert.equal(error.exitCode, 1);
  assert.ok(
    error.message.startsWith("cannot connect to NATS at "),
    error.message,
  );
  assert.ok(error.message.includes(a), error.message);
  assert.ok(
    error.message.includes(b.replace("hunter2", "***")),
    error.message,
  );
  assert.ok(!error.message.includes("hunter2"));
  assert.match(error.message, /connection refused/);
  assert.match(error.message, /connect = background/);
  assert.ok(!error.message.includes("\n"));
  assert.ok(elapsed < 3_000, `took ${elapsed} ms`);
});

Deno.test("connection: required gives up on a server that never answers within its bound", async () => {
  // Accepts connections and never says a word (no INFO).
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn);
  })();
  try {
    const url = `nats://127.0.0.1:${listener.addr.port}`;
    const started = performance.now();
    const error = await connectCluster(clusterSpec(url), {
      connectTimeoutMs: 300,
    }).then(() => assert.fail("connected to a mute server"), (e) => e);
    const elapsed = performance.now() - started;
    assert.ok(error instanceof AioError);
    assert.ok(error.message.includes(url), error.message);
    assert.ok(elapsed >= 290 && elapsed < 2_000, `took ${elapsed} ms`);
  } finally {
    listener.close();
    await accepting.catch(() => {});
    for (const conn of held) conn.close();
  }
});

Deno.test("connection: required connects; status says where and since when; close is bounded", async () => {
  await using nats = await startNats();
  const before = new Date();
  const connection = await connectCluster(clusterSpec(nats.url, "name = shop"));
  const status = connection.status;
  assert.equal(status.state, "connected");
  assert.equal(status.server, `127.0.0.1:${nats.port}`);
  assert.ok(status.since >= before);
  assert.equal(status.outages, 0);
  assert.equal(connection.name, "shop");
  assert.match(connection.nodeId, /^[0-9a-f]{16}$/);
  assert.ok(connection.client);
  const started = performance.now();
  await connection.close(1_000);
  assert.ok(performance.now() - started < 1_500);
  assert.equal(connection.status.state, "closed");
  assert.ok(connection.client?.isClosed());
});

Deno.test("connection: background starts at once and connects when the server appears", async () => {
  const logs = await captureLogs();
  const port = freePort();
  try {
    const connection = await connectCluster(
      clusterSpec(`nats://127.0.0.1:${port}`, "connect = background"),
      { minBackoffMs: 20, maxBackoffMs: 100 },
    );
    assert.equal(connection.status.state, "connecting");
    assert.equal(connection.client, undefined);
    // Let it fail a few dials: the backoff is at most 100 ms.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await using nats = await startNats({ port });
    await waitForState(connection, "connected");
    assert.equal(connection.status.server, `127.0.0.1:${nats.port}`);
    await connection.close();
    const warnings = logs.messages("warning");
    assert.equal(
      warnings.filter((m) => m.startsWith("Cannot reach NATS")).length,
      1,
      warnings.join("\n"),
    );
    assert.match(warnings[0], new RegExp(`nats://127.0.0.1:${port}`));
    assert.ok(
      logs.messages("info").some((m) => m.startsWith("Connected to NATS")),
    );
  } finally {
    await logs.stop();
  }
});

Deno.test("connection: a background start closed before it connects stops dialling", async () => {
  const connection = await connectCluster(
    clusterSpec(`nats://127.0.0.1:${freePort()}`, "connect = background"),
    { minBackoffMs: 20 },
  );
  const started = performance.now();
  await connection.close(500);
  assert.ok(performance.now() - started < 1_000);
  assert.equal(connection.status.state, "closed");
  assert.equal(connection.client, undefined);
});

Deno.test("connection: a lost server is re-dialled forever, each outage logged once", async () => {
  const logs = await captureLogs();
  try {
    await using nats = await startNats();
    const connection = await connectCluster(clusterSpec(nats.url), {
      minBackoffMs: 20,
      maxBackoffMs: 50,
    });
    const client = connection.client!;
    let dials = 0;
    (async () => {
      for await (const status of client.status()) {
        if (status.type === "reconnecting") dials++;
      }
    })();
    for (const outage of [1, 2]) {
      await nats.stop();
      await waitForState(connection, "reconnecting");
      const dialsBefore = dials;
      // Several failed dials within the outage.
      while (dials < dialsBefore + 3) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await nats.start();
      await waitForState(connection, "connected");
      assert.equal(connection.status.outages, outage);
      assert.equal(connection.client, client, "the same client reconnected");
    }
    await connection.close();
    const lost = logs.messages("warning").filter((m) =>
      m.startsWith("Lost the NATS connection")
    );
    assert.equal(lost.length, 2, logs.messages().join("\n"));
    const back = logs.messages("info").filter((m) =>
      m.startsWith("NATS connection back")
    );
    assert.equal(back.length, 2);
  } finally {
    await logs.stop();
  }
});

Deno.test("connection: close while reconnecting is bounded", async () => {
  await using nats = await startNats();
  const connection = await connectCluster(clusterSpec(nats.url));
  await nats.kill();
  await waitForState(connection, "reconnecting");
  const started = performance.now();
  await connection.close(300);
  assert.ok(performance.now() - started < 1_000);
  assert.ok(connection.client?.isClosed());
});

Deno.test("connection: user and password reach the server; a wrong one is a clear start error", async () => {
  await using nats = await startNats({
    args: ["--user", "app", "--pass", "s3cret"],
  });
  const good = await connectCluster(
    clusterSpec(nats.url, "user = app\npassword = s3cret"),
  );
  assert.equal(good.status.state, "connected");
  await good.close();
  const error = await connectCluster(
    clusterSpec(nats.url, "user = app\npassword = wrong"),
  ).then(() => assert.fail("connected with a wrong password"), (e) => e);
  assert.ok(error instanceof AioError);
  assert.match(error.message, /Authorization Violation/i);
  assert.ok(!error.message.includes("wrong"), error.message);
});

Deno.test("connection: tls_ca verifies a TLS server; without it the certificate is refused", async () => {
  await using nats = await startNats({
    args: [
      "--tls",
      "--tlscert",
      `${TLS_DIR}cert.pem`,
      "--tlskey",
      `${TLS_DIR}key.pem`,
    ],
  });
  const trusted = await connectCluster(
    clusterSpec(nats.url, `tls_ca = ${TLS_DIR}cert.pem`),
  );
  assert.equal(trusted.status.state, "connected");
  await trusted.close();
  const error = await connectCluster(
    clusterSpec(nats.url.replace("nats:", "tls:")),
    { connectTimeoutMs: 3_000 },
  ).then(() => assert.fail("trusted an unknown CA"), (e) => e);
  assert.ok(error instanceof AioError);
  assert.match(error.message, /certificate/i);
});

Deno.test("connection: 300 refused logins in a row never crash the process", async () => {
  // nats.js's transport drops a socket's listeners before a read error can
  // still arrive; unguarded, about 1 in 200 refused logins here ended the
  // process with an uncaught ECONNRESET.
  await using nats = await startNats({
    args: ["--user", "app", "--pass", "right"],
  });
  const uncaught: unknown[] = [];
  const onError = (event: ErrorEvent) => {
    uncaught.push(event.error);
    event.preventDefault();
  };
  globalThis.addEventListener("error", onError);
  try {
    const spec = clusterSpec(nats.url, "user = app\npassword = wrong");
    for (let i = 0; i < 300; i++) {
      await connectCluster(spec).then(
        () => assert.fail("connected with a wrong password"),
        (error) => assert.ok(error instanceof AioError),
      );
    }
    // A late socket error comes within a few ticks.
    await new Promise((resolve) => setTimeout(resolve, 100));
  } finally {
    globalThis.removeEventListener("error", onError);
  }
  assert.deepEqual(uncaught, []);
});
