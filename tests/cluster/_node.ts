// A second process for the cluster signal tests: a node that counts the
// order-n messages it hears, says order-done when it heard COUNT of them,
// and on SIGTERM prints what it heard and stops.
//
//   deno run -A tests/cluster/_node.ts NATS_URL COUNT

import { bridgeSignals } from "../../src/cluster/signals.ts";
import { connectCluster } from "../../src/cluster/connection.ts";
import { Signals } from "../../src/signals.ts";
import { clusterSpec } from "./_helpers.ts";

const [url, countText] = Deno.args;
const count = Number(countText);
const connection = await connectCluster(clusterSpec(url));
const signals = new Signals();
const heard: number[] = [];
let done = 0;
signals.listen("order-done", () => void done++);
signals.listen("order-n", async (_signal, message) => {
  heard.push(message as number);
  if (heard.length === count) {
    const inOrder = heard.every((value, i) => value === i);
    await signals.emit("order-done", { count: heard.length, inOrder });
  }
});
// Listeners first: the bridge subscribes to what they listen to.
const bridge = await bridgeSignals(connection, signals, {
  patterns: ["order-*"],
});
Deno.addSignalListener("SIGTERM", async () => {
  console.log(`heard ${heard.length} order-n, ${done} order-done`);
  await bridge.close();
  await connection.close();
  Deno.exit(0);
});
console.log("ready");
