import assert from "node:assert/strict";
import { Registry } from "../../src/metrics/registry.ts";
import { registerProcessMetrics } from "../../src/metrics/process.ts";

function lagOf(registry: Registry): number {
  const match = /^aio_event_loop_lag_seconds (\S+)$/m.exec(registry.expose());
  assert.ok(match, "the lag gauge is there");
  return Number(match[1]);
}

/** Polls `check` on the event loop every 20 ms until it holds, for at most `ms`. */
async function eventually(check: () => boolean, ms = 5000): Promise<void> {
  const end = performance.now() + ms;
  while (!check()) {
    assert.ok(performance.now() < end, "condition never held");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

Deno.test("a blocked event loop shows in aio_event_loop_lag_seconds, then ages out of the window", async () => {
  const registry = new Registry();
  const sampler = registerProcessMetrics(registry, {
    lagIntervalMs: 50,
    lagWindowMs: 300,
  });
  try {
    const start = performance.now();
    while (performance.now() - start < 400) {
      // Block the loop, as a runaway handler would.
    }
    // The timer that was due during the block fires late and records it.
    await eventually(() => lagOf(registry) >= 0.3);
    // Six samples later the block is out of the window.
    await eventually(() => lagOf(registry) < 0.3);
  } finally {
    sampler.stop();
  }
});

Deno.test("the process metrics read this process's memory, start time and CPU", async () => {
  const registry = new Registry();
  const sampler = registerProcessMetrics(registry);
  try {
    const text = () => registry.expose();
    const value = (name: string) =>
      Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text())?.[1]);
    const rss = value("process_resident_memory_bytes");
    assert.ok(Math.abs(rss - Deno.memoryUsage().rss) < rss * 0.1, `rss ${rss}`);
    assert.ok(
      Math.abs(
        value("process_start_time_seconds") - performance.timeOrigin / 1000,
      ) < 0.01,
    );
    // CPU time arrives once node:process has loaded in the background.
    await eventually(() => value("process_cpu_seconds_total") > 0);
    // Burning CPU moves it (by wall time bounded: a loaded machine gives us less CPU).
    const before = value("process_cpu_seconds_total");
    const start = performance.now();
    while (
      value("process_cpu_seconds_total") < before + 0.05 &&
      performance.now() - start < 5000
    ) {
      for (let i = 0; i < 1e6; i++) Math.sqrt(i);
    }
    assert.ok(value("process_cpu_seconds_total") >= before + 0.05);
  } finally {
    sampler.stop();
  }
});
