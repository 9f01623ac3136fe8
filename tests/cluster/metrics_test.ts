import assert from "node:assert/strict";
import { connectCluster } from "../../src/cluster/connection.ts";
import { registerClusterMetrics } from "../../src/cluster/metrics.ts";
import { Registry } from "../../src/metrics/registry.ts";
import { startNats } from "./_nats.ts";
import { clusterSpec, waitForState } from "./_helpers.ts";

/** The sample lines of `registry` whose names start with aio_cluster_. */
function clusterLines(registry: Registry): string[] {
  return registry.expose().split("\n").filter((line) =>
    line.startsWith("aio_cluster_")
  );
}

Deno.test("metrics: /metrics shows the connection's state, since when, and its outages", async () => {
  await using nats = await startNats();
  const connection = await connectCluster(clusterSpec(nats.url), {
    minBackoffMs: 50,
    maxBackoffMs: 200,
  });
  try {
    const registry = new Registry();
    let node: typeof connection | undefined = connection;
    registerClusterMetrics(registry, () => node);
    const since = connection.status.since.getTime() / 1000;
    assert.deepEqual(clusterLines(registry), [
      "aio_cluster_connected 1",
      'aio_cluster_state{state="connecting"} 0',
      'aio_cluster_state{state="connected"} 1',
      'aio_cluster_state{state="reconnecting"} 0',
      'aio_cluster_state{state="closed"} 0',
      `aio_cluster_state_since_seconds ${since}`,
      "aio_cluster_outages_total 0",
    ]);
    await nats.stop();
    await waitForState(connection, "reconnecting");
    const lines = clusterLines(registry);
    assert.equal(lines[0], "aio_cluster_connected 0");
    assert.equal(lines[3], 'aio_cluster_state{state="reconnecting"} 1');
    assert.equal(lines[6], "aio_cluster_outages_total 1");
    await nats.start();
    await waitForState(connection, "connected");
    assert.equal(clusterLines(registry)[0], "aio_cluster_connected 1");
    // The app stopped: every state 0, the outages kept.
    node = undefined;
    assert.deepEqual(clusterLines(registry).slice(0, 5), [
      "aio_cluster_connected 0",
      'aio_cluster_state{state="connecting"} 0',
      'aio_cluster_state{state="connected"} 0',
      'aio_cluster_state{state="reconnecting"} 0',
      'aio_cluster_state{state="closed"} 0',
    ]);
    assert.equal(clusterLines(registry)[6], "aio_cluster_outages_total 1");
  } finally {
    await connection.close(500);
  }
});
