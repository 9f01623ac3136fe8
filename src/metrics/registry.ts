/**
 * A registry: the metrics one `/metrics` page shows, in registration order.
 *
 * @module
 */

import { Counter } from "./counter.ts";
import { Gauge, type GaugeOptions } from "./gauge.ts";
import { Histogram, type HistogramOptions } from "./histogram.ts";
import type { CollectOptions, Metric, MetricOptions } from "./metric.ts";

/** The Content-Type of the text exposition format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE =
  "text/plain; version=0.0.4; charset=utf-8";

/**
 * Holds metrics and writes them out in the text exposition format 0.0.4.
 *
 * @example
 * ```ts
 * import { Registry } from "./registry.ts";
 * const registry = new Registry();
 * const runs = registry.counter({
 *   name: "app_runs_total",
 *   help: "Runs, by outcome",
 *   labelNames: ["outcome"],
 * });
 * runs.labels("ok").inc();
 * console.log(registry.expose());
 * // # HELP app_runs_total Runs, by outcome
 * // # TYPE app_runs_total counter
 * // app_runs_total{outcome="ok"} 1
 * ```
 */
export class Registry {
  readonly #metrics = new Map<string, Metric<unknown>>();

  /** Adds a metric; throws TypeError when its name is taken. */
  register<M extends Metric<unknown>>(metric: M): M {
    if (this.#metrics.has(metric.name)) {
      throw new TypeError(
        `A metric named ${metric.name} is registered already`,
      );
    }
    this.#metrics.set(metric.name, metric);
    return metric;
  }

  /** Creates and registers a counter. */
  counter(options: MetricOptions & CollectOptions<Counter>): Counter {
    return this.register(new Counter(options));
  }

  /** Creates and registers a gauge. */
  gauge(options: GaugeOptions): Gauge {
    return this.register(new Gauge(options));
  }

  /** Creates and registers a histogram. */
  histogram(options: HistogramOptions): Histogram {
    return this.register(new Histogram(options));
  }

  /** The metric named `name`, if registered. */
  get(name: string): Metric<unknown> | undefined {
    return this.#metrics.get(name);
  }

  /** Every metric, in the text format (serve it as {@linkcode PROMETHEUS_CONTENT_TYPE}). */
  expose(): string {
    let text = "";
    for (const metric of this.#metrics.values()) text += metric.expose();
    return text;
  }
}
