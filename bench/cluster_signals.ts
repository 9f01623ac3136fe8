// Cluster signals against the raw NATS client, same run, same server:
// node-to-node latency (p50, p99) and throughput of messages from node A's
// emit to node B's listener, and of the same JSON messages published with
// nats.js on one connection and parsed by a subscriber on another.
//
//   deno run -A bench/cluster_signals.ts [MESSAGES] [ROUNDS]
//
// MESSAGES (default 20,000) per throughput round, 2,000 latency samples
// per round; ROUNDS (default 9) alternate bridge and raw; medians printed.

import { connect, type NatsConnection } from "@nats-io/transport-node";
import process from "node:process";
import { bridgeSignals } from "../src/cluster/signals.ts";
import { connectCluster } from "../src/cluster/connection.ts";
import { Signals } from "../src/signals.ts";
import { startNats } from "../tests/cluster/_nats.ts";
import { clusterSpec } from "../tests/cluster/_helpers.ts";

const MESSAGES = Number(Deno.args[0] ?? 20_000);
const ROUNDS = Number(Deno.args[1] ?? 9);
const SAMPLES = 2_000;
const SIGNAL = "order-created";
const SUBJECT = "raw.order-created";

function message(i: number) {
  return { id: i, sku: "ABC-123", qty: 2, at: "2030-01-01T03:00:00Z" };
}

/** One side of the comparison: send a message; `onReceive` is called on the other node. */
interface Path {
  name: string;
  send(i: number): Promise<unknown> | void;
  /** Resolves once everything sent so far left the sender. */
  flush(): Promise<unknown>;
  onReceive: (i: number) => void;
}

await using nats = await startNats();

// The bridge: two nodes, each its own connection, Signals and bridge.
const nodeA = await connectCluster(clusterSpec(nats.url));
const nodeB = await connectCluster(clusterSpec(nats.url));
const signalsA = new Signals();
const signalsB = new Signals();
const bridgeA = await bridgeSignals(nodeA, signalsA, { patterns: ["order-*"] });
const bridgeB = await bridgeSignals(nodeB, signalsB, { patterns: ["order-*"] });
const bridge: Path = {
  name: "bridge",
  send: (i) => signalsA.emit(SIGNAL, message(i)),
  flush: () => Promise.resolve(),
  onReceive: () => {},
};
signalsB.listen(SIGNAL, (_signal, msg) => {
  bridge.onReceive((msg as { id: number }).id);
});

// The raw client: the same JSON, one publisher, one subscriber.
const rawA: NatsConnection = await connect({ servers: nats.url });
const rawB: NatsConnection = await connect({ servers: nats.url });
const raw: Path = {
  name: "raw nats.js",
  send: (i) => rawA.publish(SUBJECT, JSON.stringify(message(i))),
  flush: () => rawA.flush(),
  onReceive: () => {},
};
rawB.subscribe(SUBJECT, {
  callback: (_error, msg) => raw.onReceive(msg.json<{ id: number }>().id),
});
await rawB.flush();

// Like for like: a subscriber to every signal's subject, which reads the
// subject to know the signal, as the bridge does.
const WILDCARD = "raw2.signal.*";
const wildcard: Path = {
  name: "raw, wildcard",
  send: (i) =>
    rawA.publish("raw2.signal.order-created", JSON.stringify(message(i))),
  flush: () => rawA.flush(),
  onReceive: () => {},
};
const prefixLength = WILDCARD.length - 1;
rawB.subscribe(WILDCARD, {
  callback: (_error, msg) => {
    if (msg.subject.slice(prefixLength) === "order-created") {
      wildcard.onReceive(msg.json<{ id: number }>().id);
    }
  },
});
await rawB.flush();
const PATHS = [bridge, raw, wildcard];

/**
 * Milliseconds for `MESSAGES` messages, sent as fast as possible, to all
 * arrive, and the CPU time this process (both nodes' clients) spent on
 * each, in µs. The CPU time hardly depends on what else runs on the
 * machine; the wall time does.
 */
async function throughput(path: Path): Promise<{ ms: number; cpu: number }> {
  let received = 0;
  const all = Promise.withResolvers<void>();
  path.onReceive = () => {
    if (++received === MESSAGES) all.resolve();
  };
  const cpu = process.cpuUsage();
  const started = performance.now();
  const sent: unknown[] = [];
  for (let i = 0; i < MESSAGES; i++) sent.push(path.send(i));
  await Promise.all([Promise.all(sent), path.flush(), all.promise]);
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { ms, cpu: (used.user + used.system) / MESSAGES };
}

/** Microseconds from send to receipt, one message at a time. */
async function latencies(path: Path): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const arrived = Promise.withResolvers<void>();
    path.onReceive = () => arrived.resolve();
    const started = performance.now();
    path.send(i);
    await arrived.promise;
    samples.push((performance.now() - started) * 1000);
  }
  return samples;
}

/** Messages per second when each send is awaited (the emit's flush round trip). */
async function awaited(path: Path): Promise<number> {
  const count = Math.min(MESSAGES, 5_000);
  path.onReceive = () => {};
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    await path.send(i);
    await path.flush();
  }
  return count / ((performance.now() - started) / 1000);
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[values.length >> 1];
const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[
    Math.min(values.length - 1, Math.floor(values.length * p))
  ];

// Warm up both paths (JIT, lazy imports, subject caches): the bridge has
// more code to optimise, and its first rounds run at half speed.
for (let round = 0; round < 3; round++) {
  for (const path of PATHS) {
    await throughput(path);
    await latencies(path);
  }
}

const results = new Map<
  string,
  {
    rate: number[];
    cpu: number[];
    p50: number[];
    p99: number[];
    awaited: number[];
  }
>();
for (const path of PATHS) {
  results.set(path.name, { rate: [], cpu: [], p50: [], p99: [], awaited: [] });
}

for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 ? [...PATHS].reverse() : PATHS;
  for (const path of order) {
    const result = results.get(path.name)!;
    const { ms, cpu } = await throughput(path);
    result.rate.push(MESSAGES / (ms / 1000));
    result.cpu.push(cpu);
    const samples = await latencies(path);
    result.p50.push(percentile(samples, 0.5));
    result.p99.push(percentile(samples, 0.99));
    result.awaited.push(await awaited(path));
  }
}

const load = Deno.loadavg()[0].toFixed(2);
console.log(
  `${MESSAGES} messages per throughput round, ${SAMPLES} latency samples, ${ROUNDS} rounds (medians), load average ${load}`,
);
for (const [name, result] of results) {
  console.log(
    `${name.padEnd(14)} ${
      Math.round(median(result.rate)).toLocaleString("en")
    } msg/s pipelined, ${
      Math.round(median(result.awaited)).toLocaleString("en")
    } msg/s awaited one by one, ${
      median(result.cpu).toFixed(1)
    } µs CPU a message, latency p50 ${median(result.p50).toFixed(0)} µs, p99 ${
      median(result.p99).toFixed(0)
    } µs`,
  );
}
// Each round's ratio compares runs made back to back, so the load of the
// machine (shared with other jobs) changes less between its two sides.
const bridgeResult = results.get("bridge")!;
for (const other of [raw, wildcard]) {
  const result = results.get(other.name)!;
  const ratios = bridgeResult.rate.map((rate, i) => rate / result.rate[i]);
  const cpuRatios = result.cpu.map((cpu, i) => cpu / bridgeResult.cpu[i]);
  console.log(
    `bridge / ${other.name}: throughput median ${
      median(ratios).toFixed(2)
    }× over ${ROUNDS} paired rounds (${Math.min(...ratios).toFixed(2)} to ${
      Math.max(...ratios).toFixed(2)
    }), best rounds ${
      (Math.max(...bridgeResult.rate) / Math.max(...result.rate)).toFixed(2)
    }×, messages per CPU second ${median(cpuRatios).toFixed(2)}×`,
  );
}
console.log("target: bridge / raw nats.js throughput ≥ 0.8×");

await bridgeA.close();
await bridgeB.close();
await nodeA.close();
await nodeB.close();
await rawA.close();
await rawB.close();
