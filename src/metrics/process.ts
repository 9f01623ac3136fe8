/**
 * The standard process metrics (`process_resident_memory_bytes`,
 * `process_start_time_seconds`, `process_cpu_seconds_total`) and the event
 * loop lag (`aio_event_loop_lag_seconds`), read at each scrape.
 *
 * @module
 */

import type { Registry } from "./registry.ts";

/** How the event loop lag is sampled. */
export interface ProcessMetricsOptions {
  /** How often a timer measures how late it fires, in ms (default 500). */
  lagIntervalMs?: number;
  /** The lag gauge shows the worst delay over this window, in ms (default 10 000). */
  lagWindowMs?: number;
}

/** What {@linkcode registerProcessMetrics} started: the lag sampler to stop. */
export interface ProcessMetrics {
  /** Stops the lag sampler (its timer never keeps the process alive). */
  stop(): void;
}

type CpuUsage = () => { user: number; system: number };

/**
 * Registers the process metrics in `registry` and starts the lag sampler.
 *
 * The lag is how late a repeating timer fires: a handler that blocks the
 * loop for 2 s shows as about 2 s for the next `lagWindowMs`, whenever the
 * scrape comes. CPU time comes from `node:process`, loaded in the
 * background so start-up does not wait for it (absent until it has loaded).
 *
 * @example
 * ```ts
 * import { Registry } from "./registry.ts";
 * import { registerProcessMetrics } from "./process.ts";
 * const registry = new Registry();
 * const sampler = registerProcessMetrics(registry);
 * console.log(registry.expose().includes("process_resident_memory_bytes ")); // true
 * sampler.stop();
 * ```
 */
export function registerProcessMetrics(
  registry: Registry,
  options: ProcessMetricsOptions = {},
): ProcessMetrics {
  registry.gauge({
    name: "process_resident_memory_bytes",
    help: "Resident memory size in bytes.",
    collect: (gauge) => gauge.set(Deno.memoryUsage().rss),
  });
  registry.gauge({
    name: "process_start_time_seconds",
    help: "Start time of the process since unix epoch in seconds.",
  }).set(Math.floor(performance.timeOrigin) / 1000);
  let cpuUsage: CpuUsage | undefined;
  import("node:process").then(
    (module) => cpuUsage = module.cpuUsage,
    () => {/* No CPU figure then; the other metrics stand. */},
  );
  registry.counter({
    name: "process_cpu_seconds_total",
    help: "Total user and system CPU time spent in seconds.",
    collect: (counter) => {
      if (!cpuUsage) return;
      const { user, system } = cpuUsage();
      counter.labels().value = (user + system) / 1e6;
    },
  });
  const windowMs = options.lagWindowMs ?? 10_000;
  const lag = new LagSampler(options.lagIntervalMs ?? 500, windowMs);
  registry.gauge({
    name: "aio_event_loop_lag_seconds",
    help: `The longest event loop delay over the last ${
      windowMs / 1000
    } s (how late a timer fired), in seconds.`,
    collect: (gauge) => gauge.set(lag.worstMs() / 1000),
  });
  return { stop: () => lag.stop() };
}

/** A repeating timer that records how late it fires, keeping the last window's delays. */
class LagSampler {
  readonly #intervalMs: number;
  readonly #samples: number[];
  #next = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #due: number;

  constructor(intervalMs: number, windowMs: number) {
    this.#intervalMs = intervalMs;
    this.#samples = new Array(Math.max(1, Math.ceil(windowMs / intervalMs)))
      .fill(0);
    this.#due = performance.now() + intervalMs;
    this.#arm();
  }

  worstMs(): number {
    // A loop blocked right now has not let the timer record it yet.
    const pending = Math.max(0, performance.now() - this.#due);
    return Math.max(pending, ...this.#samples);
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    const timer = setTimeout(() => {
      const now = performance.now();
      this.#samples[this.#next] = Math.max(0, now - this.#due);
      this.#next = (this.#next + 1) % this.#samples.length;
      this.#due = now + this.#intervalMs;
      this.#arm();
    }, this.#intervalMs);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }
}
