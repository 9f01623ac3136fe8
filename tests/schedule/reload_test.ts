// Scheduler.update: a reload reconciles the schedules by name, in fake time.
import assert from "node:assert/strict";
import { AioError } from "../../src/errors.ts";
import { Scheduler } from "../../src/schedule/scheduler.ts";
import { EPOCH_2025, FakeClock } from "./_fake_clock.ts";
import { gate, recorder, schedule } from "./_helpers.ts";

Deno.test("a kept schedule keeps its slots: no run lost, none doubled, the new func from the switch", async () => {
  const clock = new FakeClock();
  const scheduler = new Scheduler({ clock });
  const old = recorder(clock);
  const fresh = recorder(clock);
  scheduler.add(schedule({ name: "tick", func: old.func, every: 1 }));
  scheduler.start();
  await clock.advance(2_500);
  scheduler.update([schedule({ name: "tick", func: fresh.func, every: 1 })]);
  await clock.advance(2_000);
  await scheduler.stop();
  assert.deepEqual(old.scheduled(EPOCH_2025), [0, 1_000, 2_000]);
  assert.deepEqual(fresh.scheduled(EPOCH_2025), [3_000, 4_000]);
  assert.deepEqual(fresh.runs.map((run) => run.at), [3_000, 4_000]);
});

Deno.test("a schedule whose timing changed starts over, as if added now", async () => {
  const clock = new FakeClock();
  const scheduler = new Scheduler({ clock });
  const { func, scheduled } = recorder(clock);
  scheduler.add(schedule({ func, every: 1 }));
  scheduler.start();
  await clock.advance(2_500);
  scheduler.update([schedule({ func, every: 2 })]);
  await clock.advance(4_000);
  await scheduler.stop();
  assert.deepEqual(scheduled(EPOCH_2025), [
    0,
    1_000,
    2_000,
    2_500,
    4_500,
    6_500,
  ]);
});

Deno.test("a removed schedule fires no more; its run under way finishes, aborted only at the stop", async () => {
  const clock = new FakeClock();
  const scheduler = new Scheduler({ clock });
  const { opened, open } = gate();
  const results: unknown[] = [];
  const { runs, func } = recorder(clock, async (event) => {
    await opened;
    return event.signal.aborted ? "aborted" : "finished";
  });
  scheduler.add(schedule({
    func,
    every: 1,
    cb: (result) => results.push(result),
  }));
  scheduler.start();
  await clock.advance(0);
  scheduler.update([]);
  assert.equal(scheduler.size, 0);
  await clock.advance(3_000);
  assert.equal(runs.length, 1);
  assert.equal(runs[0].event.signal.aborted, false);
  open();
  await clock.advance(0);
  assert.deepEqual(results, ["finished"]);
  await scheduler.stop();
  assert.equal(clock.pending, 0);
});

Deno.test("a removed schedule's run still under way is aborted by the stop", async () => {
  const clock = new FakeClock();
  const scheduler = new Scheduler({ clock });
  const { runs, func } = recorder(
    clock,
    (event) =>
      new Promise((resolve) => event.signal.addEventListener("abort", resolve)),
  );
  scheduler.add(schedule({ func, every: 1 }));
  scheduler.start();
  await clock.advance(0);
  scheduler.update([]);
  await scheduler.stop(1_000);
  assert.equal(runs[0].event.signal.aborted, true);
});

Deno.test("an added schedule starts as it would at start; the others keep their slots", async () => {
  const clock = new FakeClock();
  const scheduler = new Scheduler({ clock });
  const kept = recorder(clock);
  const added = recorder(clock);
  const keptDef = schedule({ name: "kept", func: kept.func, every: 1 });
  scheduler.add(keptDef);
  scheduler.start();
  await clock.advance(1_200);
  scheduler.update([
    keptDef,
    schedule({ name: "added", func: added.func, every: 1 }),
  ]);
  await clock.advance(1_000);
  await scheduler.stop();
  assert.deepEqual(kept.scheduled(EPOCH_2025), [0, 1_000, 2_000]);
  assert.deepEqual(added.scheduled(EPOCH_2025), [1_200, 2_200]);
  assert.equal(scheduler.size, 2);
});

Deno.test("with overlap = skip, a run of the old func still under way holds the kept schedule's next run", async () => {
  const clock = new FakeClock();
  const scheduler = new Scheduler({ clock });
  const { opened, open } = gate();
  const old = recorder(clock, () => opened);
  const fresh = recorder(clock);
  scheduler.add(schedule({ func: old.func, every: 1, overlap: "skip" }));
  scheduler.start();
  await clock.advance(500);
  scheduler.update([schedule({ func: fresh.func, every: 1, overlap: "skip" })]);
  await clock.advance(1_000);
  open();
  await clock.advance(1_000);
  await scheduler.stop();
  assert.equal(old.runs.length, 1);
  assert.deepEqual(fresh.scheduled(EPOCH_2025), [2_000]);
});

Deno.test("update() with a bad definition or a doubled name changes nothing", async () => {
  const clock = new FakeClock();
  const scheduler = new Scheduler({ clock });
  const { func, scheduled } = recorder(clock);
  scheduler.add(schedule({ func, every: 1 }));
  scheduler.start();
  assert.throws(
    () => scheduler.update([schedule({ func, every: 0 })]),
    (error: unknown) =>
      error instanceof AioError && /every must be/.test(error.message),
  );
  assert.throws(
    () =>
      scheduler.update([
        schedule({ name: "a", func, every: 1 }),
        schedule({ name: "a", func, every: 2 }),
      ]),
    /Schedule a \(test.conf:1\): two schedules have that name/,
  );
  await clock.advance(1_000);
  await scheduler.stop();
  assert.equal(scheduler.size, 1);
  assert.deepEqual(scheduled(EPOCH_2025), [0, 1_000]);
  assert.throws(
    () => scheduler.update([]),
    /Cannot update the schedules: the scheduler is stopped/,
  );
});

Deno.test("update() before start only replaces the definitions", async () => {
  const clock = new FakeClock();
  const scheduler = new Scheduler({ clock });
  const first = recorder(clock);
  const second = recorder(clock);
  scheduler.add(schedule({ func: first.func, every: 1 }));
  scheduler.update([schedule({ func: second.func, every: 1 })]);
  await clock.advance(1_000);
  assert.equal(second.runs.length, 0);
  scheduler.start();
  await clock.advance(1_000);
  await scheduler.stop();
  assert.equal(first.runs.length, 0);
  assert.deepEqual(second.scheduled(EPOCH_2025), [1_000, 2_000]);
});
