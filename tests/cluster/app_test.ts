// The cluster in the app, in this process: runApp with [aio/cluster] joins
// the cluster after the listeners attach, gives cluster = once schedules
// their claims, and leaves it (bridge, then connection) at the stop.
import assert from "node:assert/strict";
import { app, Signals } from "../../mod.ts";
import { runApp } from "../../testing.ts";
import { bridgeSignals } from "../../src/cluster/signals.ts";
import { connectCluster } from "../../src/cluster/connection.ts";
import { clusterSpec, eventually } from "./_helpers.ts";
import { freePort, startNats } from "./_nats.ts";

const RECORDER = new URL("../fixtures/app/recorder.ts", import.meta.url)
  .pathname;

Deno.test("app: joins the cluster, hears another node's cluster signal, and leaves it at the stop", async () => {
  await using nats = await startNats();
  // Another node, in this process: its own connection and signals.
  const other = await connectCluster(clusterSpec(nats.url, "name = t"));
  const otherSignals = new Signals();
  const otherHeard: unknown[] = [];
  otherSignals.listen("order-paid", (_s, m) => void otherHeard.push(m));
  const otherBridge = await bridgeSignals(other, otherSignals, {
    patterns: ["order-*"],
  });
  try {
    const config = `[aio]
log_level = ERROR
[aio/cluster]
url = ${nats.url}
name = t
signals = order-*
[listen/r]
order-paid = ${RECORDER}#listener
`;
    let node: typeof app.cluster;
    await runApp(config, async (app) => {
      node = app.cluster;
      assert.equal(node?.status.state, "connected");
      assert.equal(node?.name, "t");
      // The listener attached before the bridge: it hears the other node.
      await otherSignals.emit("order-paid", { id: 1 });
      const { calls } = await import("../fixtures/app/recorder.ts");
      await eventually("the other node's message", () => calls.length === 1);
      assert.deepEqual(calls[0].args, ["order-paid", { id: 1 }]);
      // And its emits reach the other node.
      await app.signals!.emit("order-paid", { id: 2 });
      await eventually("this node's message", () => otherHeard.length === 2);
    });
    assert.equal(app.cluster, undefined);
    assert.equal(node?.status.state, "closed");
  } finally {
    await otherBridge.close(500);
    await other.close(500);
  }
});

Deno.test("app: a start that fails after joining the cluster closes the connection", async () => {
  const monitor = freePort();
  await using nats = await startNats({ args: ["-m", String(monitor)] });
  const connections = async () => {
    const response = await fetch(`http://127.0.0.1:${monitor}/connz`);
    return (await response.json()).num_connections as number;
  };
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const config = `[aio]
log_level = CRITICAL
[aio/cluster]
url = ${nats.url}
[server/busy]
handler = ${RECORDER}#listener
address = 127.0.0.1
port = ${busy.addr.port}
`;
    await assert.rejects(runApp(config, () => {}), /busy/);
    assert.equal(app.cluster, undefined);
    await eventually(
      "the server to see no connection",
      async () => await connections() === 0,
    );
  } finally {
    busy.close();
  }
});
