// How late `every = 0.1` runs are, and whether they drift, with setInterval
// beside it for comparison.
//
//   deno run -A bench/schedule_lateness.ts [SECONDS]   (default 60)

import { Scheduler } from "../src/schedule/mod.ts";

const PERIOD_MS = 100;
const seconds = Number(Deno.args[0] ?? 60);
if (!(seconds > 0)) throw new Error(`Bad duration: ${Deno.args[0]}`);

/** Lateness in ms of each run against start + k·period, on the monotonic clock. */
const scheduled: number[] = [];
const interval: number[] = [];
let lastScheduledAt = 0;
let firstScheduledAt = 0;
let lastSlot = 0;

const scheduler = new Scheduler();
scheduler.add({
  name: "lateness",
  every: PERIOD_MS / 1000,
  func: (_name, event) => {
    const now = performance.now();
    const at = event.scheduledAt.getTime();
    if (scheduled.length === 0) firstScheduledAt = at;
    const slot = Math.round((at - firstScheduledAt) / PERIOD_MS);
    scheduled.push(now - (schedulerStart + slot * PERIOD_MS));
    lastScheduledAt = at;
    lastSlot = slot;
  },
});

const schedulerStart = performance.now();
scheduler.start();
const intervalStart = performance.now();
let ticks = 0;
const timer = setInterval(() => {
  ticks++;
  interval.push(performance.now() - (intervalStart + ticks * PERIOD_MS));
}, PERIOD_MS);

await new Promise((resolve) => setTimeout(resolve, seconds * 1000 + 50));
clearInterval(timer);
await scheduler.stop(1000);

function summary(label: string, lateness: number[]) {
  const sorted = [...lateness].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  console.log(
    `${label.padEnd(12)} runs ${String(lateness.length).padStart(5)}  ` +
      `p50 ${at(0.5).toFixed(2)} ms  p99 ${at(0.99).toFixed(2)} ms  ` +
      `max ${sorted.at(-1)!.toFixed(2)} ms  last run late by ${
        lateness.at(-1)!.toFixed(2)
      } ms`,
  );
}

console.log(
  `every = ${PERIOD_MS / 1000} s for ${seconds} s (Deno ${Deno.version.deno})`,
);
summary("Scheduler", scheduled);
summary("setInterval", interval);
console.log(
  `Scheduler: last scheduledAt - (first + k·${PERIOD_MS} ms) = ` +
    `${
      lastScheduledAt - (firstScheduledAt + lastSlot * PERIOD_MS)
    } ms (k = ${lastSlot})`,
);
