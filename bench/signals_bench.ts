// Signals: the cost of emit over calling a listener directly, emittery beside
// it, and one emit to 10,000 listeners.
//
//   deno bench -A bench/signals_bench.ts

import Emittery from "emittery";
import { Signals } from "../src/signals.ts";

// An async function, as users write listeners.
// deno-lint-ignore require-await
async function listener(_signal: string, message: unknown) {
  return message;
}

const signals = new Signals();
signals.listen("tick", listener);

const emittery = new Emittery();
emittery.on("tick", async (event) => {
  await listener("tick", event.data);
});

Deno.bench("floor: await the listener directly", {
  group: "one async listener",
  baseline: true,
}, async () => {
  await listener("tick", 1);
});

Deno.bench("Signals.emit", { group: "one async listener" }, async () => {
  await signals.emit("tick", 1);
});

Deno.bench("emittery emit", { group: "one async listener" }, async () => {
  await emittery.emit("tick", 1);
});

// The same, 1,000 awaits per iteration, so the harness's own cost per
// iteration fades: divide the times by 1,000.
Deno.bench("floor ×1000", { group: "×1000", baseline: true }, async () => {
  for (let i = 0; i < 1000; i++) await listener("tick", i);
});

Deno.bench("Signals.emit ×1000", { group: "×1000" }, async () => {
  for (let i = 0; i < 1000; i++) await signals.emit("tick", i);
});

// The same with a metrics observer set (what `[aio/health]` turns on): one
// counter add per emit.
const observed = new Signals();
observed.listen("tick", listener);
let emitted = 0;
observed.setObserver({ emitted: () => emitted++, listenerFailed: () => {} });

Deno.bench("Signals.emit, observed ×1000", { group: "×1000" }, async () => {
  for (let i = 0; i < 1000; i++) await observed.emit("tick", i);
});

Deno.bench("emittery emit ×1000", { group: "×1000" }, async () => {
  for (let i = 0; i < 1000; i++) await emittery.emit("tick", i);
});

const crowd = new Signals();
for (let i = 0; i < 10_000; i++) {
  crowd.listen("many", i % 2 ? () => i : () => Promise.resolve(i));
}

Deno.bench("emit to 10,000 listeners (half async)", async () => {
  await crowd.emit("many", 1);
});

Deno.bench("emit to nobody", async () => {
  await signals.emit("nobody", 1);
});
