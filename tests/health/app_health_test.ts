// AppHealth: the app's health server and metrics wired to real signals,
// a real scheduler and a real TCP server.
import assert from "node:assert/strict";
import { AppHealth } from "../../src/health/app_health.ts";
import { Signals } from "../../src/signals.ts";
import { Scheduler } from "../../src/schedule/scheduler.ts";
import { parseExposition, sampleValue } from "../metrics/_prometheus_parser.ts";

async function scrape(health: AppHealth) {
  const response = await fetch(`http://127.0.0.1:${health.addr!.port}/metrics`);
  return await parseExposition(await response.text());
}

Deno.test("emits and failing listeners are counted per signal, in emits and deliveries; close stops counting", async () => {
  const signals = new Signals();
  const health = AppHealth.start({ address: "127.0.0.1", port: 0 }, signals);
  try {
    signals.listen("boom", () => {
      throw new Error("no");
    });
    signals.listen("boom", () => Promise.reject(new Error("later")));
    signals.listen("fine", () => "ok");
    await signals.emit("boom").catch(() => {});
    await signals.emit("fine");
    await signals.emit("fine");
    await signals.emit("nobody");
    // A message from another process: its listeners' failures count too.
    signals.deliver("boom", 1);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const families = await scrape(health);
    const emits = (signal: string) =>
      sampleValue(families, "aio_signal_emits_total", { signal });
    const errors = (signal: string) =>
      sampleValue(families, "aio_listener_errors_total", { signal });
    assert.deepEqual(
      [emits("boom"), emits("fine"), emits("nobody")],
      [1, 2, 1],
    );
    assert.deepEqual([errors("boom"), errors("fine")], [4, 0]);
  } finally {
    await health.close(signals);
  }
  await signals.emit("fine");
  assert.deepEqual(signals.listeners("aio-reloaded"), []);
  assert.equal(
    health.metrics.signal("fine").emits.value,
    2,
    "no counting after close",
  );
});

Deno.test("the scheduler's runs arrive through onRun, each schedule shown at 0 from the start", async () => {
  const signals = new Signals();
  const health = AppHealth.start({ address: "127.0.0.1", port: 0 }, signals);
  const scheduler = new Scheduler({ onRun: health.onRun });
  try {
    let runs = 0;
    const ran = Promise.withResolvers<void>();
    scheduler.add({
      name: "tick",
      every: 0.01,
      func: () => {
        if (++runs === 2) ran.resolve();
      },
    });
    health.started({}, ["tick", "idle"]);
    scheduler.start();
    await ran.promise;
    await scheduler.stop(1000);
    const families = await scrape(health);
    assert.ok(
      (sampleValue(families, "aio_schedule_runs_total", {
        schedule: "tick",
        outcome: "ok",
      }) ?? 0) >= 2,
    );
    assert.equal(
      sampleValue(families, "aio_schedule_runs_total", {
        schedule: "idle",
        outcome: "ok",
      }),
      0,
    );
  } finally {
    await scheduler.stop(0);
    await health.close(signals);
  }
});
