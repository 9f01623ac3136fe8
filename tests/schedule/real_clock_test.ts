// The one scheduler test on the real clock: the fake clock's tests cover the
// timing logic; this proves the real timers drive it the same way.
import assert from "node:assert/strict";
import type { ScheduleEvent } from "../../src/schedule/definition.ts";
import { Scheduler } from "../../src/schedule/scheduler.ts";
import { schedule } from "./_helpers.ts";

Deno.test("on the real clock, every = 0.05 runs at start and at start + k·50 ms", async () => {
  const runs: { event: ScheduleEvent; wall: number }[] = [];
  let fourth!: () => void;
  const ran = new Promise<void>((resolve) => fourth = resolve);
  const scheduler = new Scheduler();
  scheduler.add(schedule({
    func: (_name, event) => {
      runs.push({ event, wall: Date.now() });
      if (runs.length === 4) fourth();
    },
    every: 0.05,
  }));
  const started = Date.now();
  scheduler.start();
  const deadline = setTimeout(() => fourth(), 10_000);
  try {
    await ran;
  } finally {
    clearTimeout(deadline);
    await scheduler.stop(1_000);
  }
  assert.equal(runs.length, 4, "four runs within 10 s");
  const first = runs[0].event.scheduledAt.getTime();
  assert.ok(Math.abs(first - started) <= 5, "the first run is due at start");
  for (const [k, run] of runs.entries()) {
    assert.equal(run.event.scheduledAt.getTime(), first + k * 50, `run ${k}`);
    // Tolerance for a loaded shared machine; bench/ measures the real figure.
    const late = run.wall - run.event.scheduledAt.getTime();
    assert.ok(late >= -1 && late <= 250, `run ${k} late by ${late} ms`);
  }
});
