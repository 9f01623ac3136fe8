// Part 12: the cluster (issue 14), through real `aio run` nodes and a real
// `nats-server -js`:
//
// a. Three nodes run a `cluster = once` schedule every 0.2 s for 60 s; one
//    is SIGKILLed at 20 s and started again at 40 s. Every slot from the
//    first run to the last must have run exactly once, except at most one
//    slot lost at the kill (the one the killed node had claimed): duplicates
//    must be 0, missed slots at most 1.
// b. One node emits a cluster signal 10,000 times (bursts of 100): every
//    listener on every node, the emitting node's included, hears each
//    message exactly once and in order.
// c. The same with a connection drop: the emitting node reaches NATS through
//    a proxy that is cut for about 1 s in the middle of the 10,000. No
//    message may be lost on any node; copies of the messages that were in
//    flight at the drop are allowed (delivery is at least once across a
//    drop) and counted.
//
//   deno run -A stress/cluster.ts [--seconds 60] [--messages 10000]
import { parseArgs } from "node:util";
import { startNats } from "../tests/cluster/_nats.ts";
import { startProxy } from "../tests/cluster/_proxy.ts";
import {
  AioNode,
  clusterConfig,
  slotCounts,
  writeConfig,
} from "../tests/cluster/_aio_node.ts";
import { type PartResult, sleep } from "./_common.ts";

/** Title of this part in STRESS.md. */
export const NAME = "12. Cluster";

/** Options for {@linkcode cluster}. */
export interface ClusterOptions {
  /** How long (a) runs; the kill is at a third of it, the restart at two thirds (default 60). */
  seconds?: number;
  /** Messages in (b) and (c) (default 10,000). */
  messages?: number;
}

const PERIOD_MS = 200;

/** Runs (a), (b) and (c). */
export async function cluster(
  options: ClusterOptions = {},
): Promise<PartResult> {
  const seconds = options.seconds ?? 60;
  const messages = options.messages ?? 10_000;
  const failures: string[] = [];
  const figures: Record<string, unknown> = {};
  await using nats = await startNats();
  const dirs: string[] = [];
  try {
    const once = await writeConfig(
      clusterConfig({ onceEvery: PERIOD_MS / 1000 }),
    );
    const plain = await writeConfig(clusterConfig());
    dirs.push(once, plain);
    figures.a = await killedNode(nats.url, once, seconds, failures);
    figures.b = await burst(nats.url, nats.url, plain, messages, failures);
    await using proxy = startProxy(nats.port);
    figures.c = await burst(proxy.url, nats.url, plain, messages, failures, {
      cut: () => proxy.cut(),
      restore: () => proxy.restore(),
    });
  } finally {
    for (const config of dirs) {
      await Deno.remove(config.replace(/\/aio\.conf$/, ""), {
        recursive: true,
      });
    }
  }
  return { name: NAME, ok: failures.length === 0, figures, failures };
}

/** (a): three nodes, one killed and started again. */
async function killedNode(
  natsUrl: string,
  config: string,
  seconds: number,
  failures: string[],
): Promise<Record<string, unknown>> {
  const start = (name: string) => new AioNode({ name, config, natsUrl });
  const nodes = [start("a"), start("b"), start("c")];
  const all = [...nodes];
  try {
    await Promise.all(nodes.map((node) => node.ready()));
    const began = performance.now();
    const at = (s: number) =>
      sleep(Math.max(0, began + s * 1000 - performance.now()));
    await at(seconds / 3);
    const killedAt = Date.now();
    nodes[2].kill("SIGKILL");
    await nodes[2].done();
    await at((seconds * 2) / 3);
    const again = start("c");
    all.push(again);
    await again.ready();
    const restartedAt = Date.now();
    await at(seconds);
    const codes = await Promise.all(
      [nodes[0], nodes[1], again].map(async (node) => (await node.stop()).code),
    );
    if (codes.some((code) => code !== 0)) {
      failures.push(`a: the nodes exited ${codes.join(", ")} on SIGTERM`);
    }
    const counts = slotCounts(all, PERIOD_MS);
    const byNode = {
      a: nodes[0].runs.length,
      b: nodes[1].runs.length,
      "c before the kill": nodes[2].runs.length,
      "c after the restart": again.runs.length,
    };
    if (counts.duplicates.length > 0) {
      failures.push(
        `a: ${counts.duplicates.length} slot(s) ran on two nodes: ${
          counts.duplicates.slice(0, 5).map((slot) =>
            new Date(slot).toISOString()
          )
        }`,
      );
    }
    if (counts.missed.length > 1) {
      failures.push(
        `a: ${counts.missed.length} slots ran nowhere (at most 1 may, at the kill): ${
          counts.missed.slice(0, 5).map((slot) =>
            `${((slot - killedAt) / 1000).toFixed(1)} s from the kill`
          )
        }`,
      );
    }
    return {
      slots: counts.slots,
      "runs by node": byNode,
      duplicates: counts.duplicates.length,
      missed: counts.missed.length,
      "missed slots, from the kill (s)": counts.missed.map((slot) =>
        Number(((slot - killedAt) / 1000).toFixed(2))
      ),
      "c restarted, from the kill (s)": Number(
        ((restartedAt - killedAt) / 1000).toFixed(1),
      ),
    };
  } finally {
    await Promise.all(all.map((node) => node.stop()));
  }
}

/** The link to cut in (c). */
interface Link {
  cut(): void;
  restore(): void;
}

/** (b) and (c): `messages` order-created from node a, heard on a, b and c. */
async function burst(
  senderUrl: string,
  natsUrl: string,
  config: string,
  messages: number,
  failures: string[],
  link?: Link,
): Promise<Record<string, unknown>> {
  const part = link ? "c" : "b";
  const a = new AioNode({ name: "a", config, natsUrl: senderUrl });
  const others = ["b", "c"].map((name) =>
    new AioNode({ name, config, natsUrl })
  );
  const nodes = [a, ...others];
  try {
    await Promise.all(nodes.map((node) => node.ready()));
    const began = performance.now();
    // With a link to cut: bursts 10 ms apart (about 1 s for 10,000), cut
    // after a third of them reached b, restored 1 s later.
    const emitting = a.emit(
      "order-created",
      { sku: "stress" },
      messages,
      link ? 10 : 0,
    );
    let cutAfter: number | undefined;
    let reconnectS: number | undefined;
    if (link) {
      const b = others[0];
      await b.until(
        "a third of the messages",
        () => b.messages("order-created").length >= messages / 3,
        60_000,
      );
      link.cut();
      cutAfter = b.messages("order-created").length;
      const cutAt = performance.now();
      await sleep(1000);
      link.restore();
      await a.until(
        "the reconnect",
        () => /NATS connection back/.test(a.stderr),
        30_000,
      );
      reconnectS = Number(((performance.now() - cutAt) / 1000).toFixed(2));
    }
    const answer = await emitting;
    const emitted = performance.now() - began;
    if (answer.ok !== messages) {
      failures.push(`${part}: the emits failed: ${JSON.stringify(answer)}`);
    }
    await Promise.all(nodes.map((node) =>
      node.until(
        `${messages} messages`,
        () => unique(node.messages("order-created")) >= messages,
        60_000,
      ).catch((error) => failures.push(`${part}: ${firstLine(error)}`))
    ));
    const delivered = performance.now() - began;
    // Anything still on its way arrives before the last node's stop.
    await Promise.all(nodes.map((node) => node.stop()));
    const heard: Record<string, unknown> = {};
    for (const node of nodes) {
      const list = node.messages("order-created") as { n: number }[];
      const distinct = unique(list);
      const copies = list.length - distinct;
      const inOrder = firstCopies(list).every((n, i) => n === i);
      heard[node.name] = { heard: list.length, distinct, copies, inOrder };
      if (distinct !== messages) {
        failures.push(
          `${part}: node ${node.name} heard ${distinct} of ${messages} messages`,
        );
      }
      if (!link && (copies > 0 || !inOrder)) {
        failures.push(
          `${part}: node ${node.name} heard ${copies} copies, in order: ${inOrder}`,
        );
      }
      if (link && node === a && copies > 0) {
        failures.push(
          `${part}: the emitting node heard its own messages twice`,
        );
      }
    }
    return {
      messages,
      "emits resolved (s)": Number((emitted / 1000).toFixed(2)),
      "all heard everywhere (s)": Number((delivered / 1000).toFixed(2)),
      ...(link && {
        "cut after b heard": cutAfter,
        "reconnected after the cut (s)": reconnectS,
      }),
      nodes: heard,
    };
  } finally {
    await Promise.all(nodes.map((node) => node.stop()));
  }
}

function unique(list: unknown[]): number {
  return new Set(list.map((message) => (message as { n: number }).n)).size;
}

/** The message numbers in the order of their first arrival. */
function firstCopies(list: { n: number }[]): number[] {
  const seen = new Set<number>();
  const order: number[] = [];
  for (const { n } of list) {
    if (seen.has(n)) continue;
    seen.add(n);
    order.push(n);
  }
  return order;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split(
    "\n",
  )[0];
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { seconds: { type: "string" }, messages: { type: "string" } },
  });
  const { printResult } = await import("./_common.ts");
  const result = await cluster({
    seconds: values.seconds ? Number(values.seconds) : undefined,
    messages: values.messages ? Number(values.messages) : undefined,
  });
  printResult(result);
  Deno.exit(result.ok ? 0 : 1);
}
