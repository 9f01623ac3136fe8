import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { scheduleClaims } from "../../src/cluster/claims.ts";
import {
  type ClusterConnection,
  connectCluster,
} from "../../src/cluster/connection.ts";
import { AioError } from "../../src/errors.ts";
import { Scheduler } from "../../src/schedule/mod.ts";
import { freePort, startNats } from "./_nats.ts";
import { clusterSpec, eventually, waitForState } from "./_helpers.ts";

async function connectAll(
  url: string,
  count: number,
  extra = "",
): Promise<ClusterConnection[]> {
  return await Promise.all(
    Array.from(
      { length: count },
      () =>
        connectCluster(clusterSpec(url, extra), {
          minBackoffMs: 20,
          maxBackoffMs: 100,
        }),
    ),
  );
}

async function closeAll(connections: ClusterConnection[]): Promise<void> {
  await Promise.all(connections.map((connection) => connection.close(500)));
}

Deno.test("claims: among 3 nodes racing for 100 slots, each slot goes to exactly one", async () => {
  await using nats = await startNats();
  const connections = await connectAll(nats.url, 3);
  try {
    const claims = connections.map((connection) => scheduleClaims(connection));
    const slots = Array.from({ length: 100 }, (_, i) => 1_000_000 + i);
    // Every node claims every slot, all at once.
    const results = await Promise.all(
      claims.map((node) =>
        Promise.all(slots.map((slot) => node.claim("report", slot)))
      ),
    );
    const winners = slots.map((_, i) =>
      results.filter((node) => node[i]).length
    );
    assert.deepEqual(winners, slots.map(() => 1), "one winner per slot");
    const wins = results.map((node) => node.filter(Boolean).length);
    assert.equal(wins.reduce((a, b) => a + b), 100);
    // Claiming again, even by the winner, is refused.
    assert.equal(await claims[0].claim("report", slots[0]), false);
  } finally {
    await closeAll(connections);
  }
});

Deno.test("claims: keys are per schedule and slot; odd names are safe; the value names the winner", async () => {
  await using nats = await startNats();
  const [connection] = await connectAll(nats.url, 1, "name = shop");
  const raw = await connect({ servers: nats.url });
  try {
    const claims = scheduleClaims(connection, { ttlMs: 60_000 });
    assert.equal(claims.bucket, "shop-schedules");
    assert.equal(await claims.claim("nightly report.v2", 7), true);
    assert.equal(await claims.claim("nightly-report", 7), true);
    assert.equal(await claims.claim("nightly report.v2", 8), true);
    assert.equal(await claims.claim("nightly report.v2", "7"), false);
    assert.equal(await claims.claim("*", "a.b"), true);
    const kv = await new Kvm(raw).open("shop-schedules");
    const entry = await kv.get("nightly=20report=2Ev2.7");
    const value = entry?.json<{ node: string; id: string; at: string }>();
    assert.equal(value?.node, connection.nodeLabel);
    assert.equal(value?.id, connection.nodeId);
    assert.ok(Date.now() - Date.parse(value?.at ?? "") < 10_000);
    // The bucket keeps one value per key, for the max age asked.
    const info = await (await jetstreamManager(raw)).streams.info(
      "KV_shop-schedules",
    );
    assert.equal(info.config.max_age, 60_000 * 1_000_000);
    assert.equal(info.config.max_msgs_per_subject, 1);
  } finally {
    await raw.close();
    await connection.close();
  }
});

Deno.test("claims: a bucket made beforehand by an operator is used as it is", async () => {
  await using nats = await startNats();
  const raw = await connect({ servers: nats.url });
  const [connection] = await connectAll(nats.url, 1);
  try {
    await new Kvm(raw).create("aio-schedules", {
      ttl: 7_200_000,
      history: 1,
      description: "made by hand",
    });
    const claims = scheduleClaims(connection, { ttlMs: 60_000 });
    assert.equal(await claims.claim("tick", 1), true);
    assert.equal(await claims.claim("tick", 1), false);
    const info = await (await jetstreamManager(raw)).streams.info(
      "KV_aio-schedules",
    );
    assert.equal(info.config.max_age, 7_200_000 * 1_000_000);
    assert.equal(info.config.description, "made by hand");
  } finally {
    await raw.close();
    await connection.close();
  }
});

Deno.test("claims: while NATS is down a claim fails at once; after, claims work again and old ones survive", async () => {
  await using nats = await startNats();
  const [connection] = await connectAll(nats.url, 1);
  const claims = scheduleClaims(connection);
  try {
    assert.equal(await claims.claim("tick", 1), true);
    await nats.stop();
    await waitForState(connection, "reconnecting");
    const started = performance.now();
    await assert.rejects(
      claims.claim("tick", 2),
      (error: unknown) =>
        error instanceof AioError &&
        error.message === "cannot claim tick slot 2: NATS is unreachable",
    );
    assert.ok(performance.now() - started < 100);
    await nats.start();
    await waitForState(connection, "connected");
    // The claim of slot 1 was stored on disk: still taken.
    assert.equal(await claims.claim("tick", 1), false);
    assert.equal(await claims.claim("tick", 2), true);
  } finally {
    await connection.close();
  }
});

Deno.test("claims: without JetStream a claim fails within its bound", async () => {
  await using nats = await startNats({ jetstream: false });
  const [connection] = await connectAll(nats.url, 1);
  try {
    const claims = scheduleClaims(connection, { timeoutMs: 300 });
    const started = performance.now();
    await assert.rejects(
      claims.claim("tick", 1),
      /^AioError: cannot claim tick slot 1 in NATS KV bucket aio-schedules: /,
    );
    assert.ok(performance.now() - started < 1_500);
  } finally {
    await connection.close();
  }
});

Deno.test("claims: a background node not yet connected cannot claim", async () => {
  const [connection] = await connectAll(
    `nats://127.0.0.1:${freePort()}`,
    1,
    "connect = background",
  );
  try {
    await assert.rejects(
      scheduleClaims(connection).claim("tick", 1),
      /NATS is unreachable/,
    );
  } finally {
    await connection.close();
  }
});

Deno.test("claims: three schedulers with cluster = once run each slot exactly once", async () => {
  await using nats = await startNats();
  const connections = await connectAll(nats.url, 3);
  const runs = new Map<number, string[]>();
  const schedulers = connections.map((connection, node) => {
    const claims = scheduleClaims(connection);
    const scheduler = new Scheduler();
    scheduler.add({
      name: "tick",
      every: 0.05,
      cluster: "once",
      claim: ({ name, slot }) => claims.claim(name, slot),
      func: (_name, event) => {
        const at = +event.scheduledAt;
        runs.set(at, [...(runs.get(at) ?? []), `node ${node}`]);
      },
    });
    return scheduler;
  });
  try {
    for (const scheduler of schedulers) scheduler.start();
    await eventually("20 slots run", () => runs.size >= 20);
  } finally {
    await Promise.all(schedulers.map((scheduler) => scheduler.stop(1_000)));
    await closeAll(connections);
  }
  const slots = [...runs.keys()].sort((a, b) => a - b);
  for (const slot of slots) {
    assert.equal(runs.get(slot)!.length, 1, `slot ${slot}: ${runs.get(slot)}`);
    assert.equal(slot % 50, 0, "slots lie on the epoch grid");
  }
  // (A slot may be missing when this one process, all three nodes, was
  // held up past it: the scheduler skips missed slots rather than catch up.
  // The stress test of the later phase counts those across processes.)
});
