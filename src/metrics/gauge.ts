/**
 * Gauges: values that go up and down (open connections, memory).
 *
 * @module
 */

import { valueLines } from "./_format.ts";
import {
  type CollectOptions,
  Metric,
  type MetricOptions,
  type MetricType,
} from "./metric.ts";

/** One labelled gauge value. */
export class GaugeChild {
  /** The current value. */
  value = 0;
  /** The label pairs, `a="x",b="y"`. */
  readonly pairs: string;

  /** A zero gauge for `pairs`. */
  constructor(pairs: string) {
    this.pairs = pairs;
  }

  /** Sets the value. */
  set(value: number): void {
    this.value = value;
  }

  /** Adds `by` (default 1). */
  inc(by = 1): void {
    this.value += by;
  }

  /** Subtracts `by` (default 1). */
  dec(by = 1): void {
    this.value -= by;
  }
}

/** A gauge's options: a metric's, plus a function that sets it at each scrape. */
export interface GaugeOptions extends MetricOptions, CollectOptions<Gauge> {}

/**
 * A gauge family.
 *
 * @example
 * ```ts
 * import { Gauge } from "./gauge.ts";
 * const open = new Gauge({ name: "app_connections", help: "Open connections" });
 * open.inc();
 * open.inc();
 * open.dec();
 * console.log(open.expose().endsWith("app_connections 1\n")); // true
 * ```
 */
export class Gauge extends Metric<GaugeChild> {
  /** `gauge`. */
  readonly type: MetricType = "gauge";

  /** A gauge; `options.collect` runs before each exposition. */
  constructor(options: GaugeOptions) {
    super(options);
  }

  /** Sets a gauge without labels. */
  set(value: number): void {
    this.unlabelled.set(value);
  }

  /** Adds to a gauge without labels. */
  inc(by = 1): void {
    this.unlabelled.inc(by);
  }

  /** Subtracts from a gauge without labels. */
  dec(by = 1): void {
    this.unlabelled.dec(by);
  }

  protected createChild(pairs: string): GaugeChild {
    return new GaugeChild(pairs);
  }

  protected lines(): string {
    return valueLines(this.name, this.children());
  }
}
