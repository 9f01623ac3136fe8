// Claims (one host per run) and the epoch anchor that gives every host the
// same slots, in fake time.
import assert from "node:assert/strict";
import { loadCron } from "../../src/schedule/_cron.ts";
import type { ScheduleSlot } from "../../src/schedule/definition.ts";
import { type RunInfo, Scheduler } from "../../src/schedule/scheduler.ts";
import { EPOCH_2025, FakeClock } from "./_fake_clock.ts";
import { gate, recorder, schedule, text, withLogs } from "./_helpers.ts";

/** A claim that records what it is asked and grants what `grant` says. */
function claims(grant: (slot: ScheduleSlot) => boolean | Promise<boolean>) {
  const asked: ScheduleSlot[] = [];
  const claim = async (slot: ScheduleSlot) => {
    asked.push(slot);
    return await grant(slot);
  };
  return { asked, claim };
}

Deno.test("a claim is asked before each run; false skips the run, logged at debug", async () => {
  const clock = new FakeClock();
  const infos: RunInfo[] = [];
  const scheduler = new Scheduler({ clock, onRun: (i) => infos.push(i) });
  const { runs, func } = recorder(clock);
  const { asked, claim } = claims((slot) =>
    slot.slot !== String(EPOCH_2025 + 1_000)
  );
  scheduler.add(
    schedule({ name: "report", func, every: 1, claim, anchor: "start" }),
  );
  const records = await withLogs(async () => {
    scheduler.start();
    await clock.advance(2_000);
    await scheduler.stop();
  });
  assert.deepEqual(
    asked,
    [0, 1_000, 2_000].map((ms) => ({
      name: "report",
      scheduledAt: new Date(EPOCH_2025 + ms),
      slot: String(EPOCH_2025 + ms),
    })),
  );
  assert.deepEqual(runs.map((run) => run.at), [0, 2_000]);
  const skip = records.find((r) => text(r).includes("claimed elsewhere"));
  assert.equal(skip?.level, "debug");
  assert.equal(skip?.properties.name, "report");
  assert.deepEqual(infos.map((info) => info.outcome), ["ok", "skipped", "ok"]);
});

Deno.test("a claim that rejects skips the run, with one warning per outage: never run unclaimed", async () => {
  const clock = new FakeClock();
  const scheduler = new Scheduler({ clock });
  const { runs, func } = recorder(clock);
  let reachable = false;
  const { claim } = claims(() => {
    if (!reachable) throw new Error("no connection");
    return true;
  });
  scheduler.add(schedule({ func, every: 1, claim }));
  const records = await withLogs(async () => {
    scheduler.start();
    await clock.advance(2_500);
    reachable = true;
    await clock.advance(1_000);
    await scheduler.stop();
  });
  assert.deepEqual(runs.map((run) => run.at), [3_000]);
  const failures = records.filter((r) => text(r).includes("claim failed"));
  assert.deepEqual(failures.map((r) => r.level), ["warning", "debug", "debug"]);
  assert.equal(
    (failures[0].properties.error as Error).message,
    "no connection",
  );
  const back = records.filter((r) => text(r).includes("answer again"));
  assert.deepEqual(back.map((r) => r.level), ["info"]);
});

Deno.test("with a claim, every slots lie on multiples of the period since the epoch, the same on every host", async () => {
  // Two hosts whose schedulers start 3.3 s and 7.9 s into a minute.
  const hosts = [3_300, 7_900].map((offset) => {
    const clock = new FakeClock(EPOCH_2025 + offset);
    const { asked, claim } = claims(() => true);
    const { runs, func } = recorder(clock);
    const scheduler = new Scheduler({ clock });
    scheduler.add(schedule({ func, every: 5, claim }));
    return { clock, scheduler, asked, runs };
  });
  for (const host of hosts) host.scheduler.start();
  for (const host of hosts) await host.clock.advance(20_000);
  for (const host of hosts) await host.scheduler.stop();
  const [first, second] = hosts.map((host) =>
    host.asked.map((slot) => Number(slot.slot) - EPOCH_2025)
  );
  // The first slot is the first multiple of 5 s at or after the start.
  assert.deepEqual(first, [5_000, 10_000, 15_000, 20_000]);
  assert.deepEqual(second, [10_000, 15_000, 20_000, 25_000]);
  // Each run is at its slot's time on that host's clock.
  assert.deepEqual(hosts[0].runs.map((run) => run.at), [
    1_700,
    6_700,
    11_700,
    16_700,
  ]);
});

Deno.test("anchor = epoch without a claim starts at the next multiple of the period", async () => {
  const clock = new FakeClock(EPOCH_2025 + 1_250);
  const scheduler = new Scheduler({ clock });
  const { runs, func, scheduled } = recorder(clock);
  scheduler.add(schedule({ func, every: 0.5, anchor: "epoch" }));
  scheduler.start();
  await clock.advance(1_000);
  await scheduler.stop();
  assert.deepEqual(scheduled(EPOCH_2025), [1_500, 2_000]);
  assert.deepEqual(runs.map((run) => run.at), [250, 750]);
});

Deno.test("a cron schedule's slot is its due time in ms", async () => {
  await loadCron();
  const clock = new FakeClock(EPOCH_2025 + 400);
  const scheduler = new Scheduler({ clock });
  const { asked, claim } = claims(() => true);
  const { func } = recorder(clock);
  scheduler.add(
    schedule({ func, cron: "*/2 * * * * *", timezone: "UTC", claim }),
  );
  scheduler.start();
  await clock.advance(4_000);
  await scheduler.stop();
  assert.deepEqual(asked.map((slot) => slot.slot), [
    String(EPOCH_2025 + 2_000),
    String(EPOCH_2025 + 4_000),
  ]);
});

Deno.test("stop() does not wait for a pending claim, and the run does not start", async () => {
  const clock = new FakeClock();
  const scheduler = new Scheduler({ clock });
  const { runs, func } = recorder(clock);
  const { opened, open } = gate();
  const { asked, claim } = claims(async () => {
    await opened;
    return true;
  });
  scheduler.add(schedule({ func, every: 1, claim }));
  scheduler.start();
  await clock.advance(0);
  assert.equal(asked.length, 1);
  await scheduler.stop(10_000);
  open();
  await clock.advance(0);
  assert.equal(runs.length, 0);
});

Deno.test("with overlap = skip, a pending claim counts as the last run still running", async () => {
  const clock = new FakeClock();
  const scheduler = new Scheduler({ clock });
  const { runs, func } = recorder(clock);
  // The first claim takes 1.5 periods to answer.
  const { asked, claim } = claims((slot) =>
    slot.slot === String(EPOCH_2025)
      ? new Promise((resolve) => clock.setTimeout(() => resolve(true), 150))
      : true
  );
  scheduler.add(schedule({ func, every: 0.1, claim, overlap: "skip" }));
  scheduler.start();
  await clock.advance(250);
  await scheduler.stop();
  // Due at 0 (claimed at 150), 100 (skipped: the claim pends), 200.
  assert.deepEqual(asked.length, 2);
  assert.deepEqual(runs.map((run) => run.at), [150, 200]);
});
