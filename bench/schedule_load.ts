// 10,000 schedules running every second: CPU (% of one core) and memory per
// schedule.
//
//   deno run -A --v8-flags=--expose-gc bench/schedule_load.ts [SECONDS] [COUNT]
//   (defaults: 10 s, 10,000 schedules)

import process from "node:process";
import { type ScheduleEvent, Scheduler } from "../src/schedule/mod.ts";

const seconds = Number(Deno.args[0] ?? 10);
const count = Number(Deno.args[1] ?? 10_000);
const gc = (globalThis as { gc?: () => void }).gc;

function heapUsed(): number {
  gc?.();
  return Deno.memoryUsage().heapUsed;
}

let runs = 0;
function tick(_name: string, _event: ScheduleEvent) {
  runs++;
}

const before = heapUsed();
const scheduler = new Scheduler();
for (let i = 0; i < count; i++) {
  scheduler.add({ name: `s${i}`, every: 1, func: tick, config: {} });
}
scheduler.start();
// Let the first round run, so per-run garbage is not counted as state.
await new Promise((resolve) => setTimeout(resolve, 1500));
const after = heapUsed();

const cpuBefore = process.cpuUsage();
const wallBefore = performance.now();
const runsBefore = runs;
await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
const cpu = process.cpuUsage(cpuBefore);
const wall = performance.now() - wallBefore;
const measuredRuns = runs - runsBefore;
await scheduler.stop(1000);

const cpuMs = (cpu.user + cpu.system) / 1000;
console.log(
  `${count} schedules, every = 1 s, measured over ${
    (wall / 1000).toFixed(1)
  } s (Deno ${Deno.version.deno})`,
);
console.log(
  `runs: ${measuredRuns} (${(measuredRuns / (wall / 1000)).toFixed(0)}/s)`,
);
console.log(
  `CPU: ${(cpuMs / wall * 100).toFixed(2)} % of one core (${
    (cpuMs * 1000 / measuredRuns).toFixed(2)
  } µs per run)`,
);
console.log(
  `memory: ${((after - before) / count).toFixed(0)} bytes per schedule ` +
    `(heap ${((after - before) / 1e6).toFixed(2)} MB for ${count}${
      gc ? "" : ", without --expose-gc: rough"
    })`,
);
