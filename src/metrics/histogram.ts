/**
 * Histograms: how observations (durations, delays) spread over buckets.
 *
 * @module
 */

import { braces, formatValue } from "./_format.ts";
import { Metric, type MetricOptions, type MetricType } from "./metric.ts";

/** Prometheus' default buckets, in seconds. */
export const DEFAULT_BUCKETS: readonly number[] = [
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
];

/** One labelled histogram. `observe()` is the hot path: a short scan and three adds. */
export class HistogramChild {
  /** The label pairs, `a="x",b="y"`. */
  readonly pairs: string;
  /** The upper bounds (inclusive), ascending; `+Inf` is implied. */
  readonly bounds: readonly number[];
  /** Observations per bucket, not cumulative; the last is above every bound. */
  readonly counts: number[];
  /** The sum of the observations. */
  sum = 0;
  /** How many observations. */
  count = 0;

  /** An empty histogram over `bounds`. */
  constructor(pairs: string, bounds: readonly number[]) {
    this.pairs = pairs;
    this.bounds = bounds;
    this.counts = new Array(bounds.length + 1).fill(0);
  }

  /** Records one observation. */
  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    this.counts[i]++;
    this.sum += value;
    this.count++;
  }
}

/** A histogram's options: a metric's, plus its bucket bounds. */
export interface HistogramOptions extends MetricOptions {
  /** Upper bounds, ascending and finite (default {@linkcode DEFAULT_BUCKETS}). */
  buckets?: readonly number[];
}

/**
 * A histogram family: `NAME_bucket{le=...}` (cumulative), `NAME_sum` and
 * `NAME_count` per child.
 *
 * @example
 * ```ts
 * import { Histogram } from "./histogram.ts";
 * const delay = new Histogram({ name: "app_delay_seconds", help: "Delay", buckets: [0.1, 1] });
 * delay.observe(0.05);
 * delay.observe(3);
 * console.log(delay.expose().includes('app_delay_seconds_bucket{le="+Inf"} 2')); // true
 * ```
 */
export class Histogram extends Metric<HistogramChild> {
  /** `histogram`. */
  readonly type: MetricType = "histogram";
  /** The bucket upper bounds. */
  readonly buckets: readonly number[];

  /** A histogram; throws TypeError on buckets that are not ascending and finite. */
  constructor(options: HistogramOptions) {
    super(options, ["le"]);
    const buckets = [...(options.buckets ?? DEFAULT_BUCKETS)];
    checkBuckets(options.name, buckets);
    this.buckets = buckets;
  }

  /** Records an observation in a histogram without labels. */
  observe(value: number): void {
    this.unlabelled.observe(value);
  }

  protected createChild(pairs: string): HistogramChild {
    return new HistogramChild(pairs, this.buckets);
  }

  protected lines(): string {
    const name = this.name;
    let text = "";
    for (const child of this.children()) {
      const prefix = child.pairs ? `${child.pairs},` : "";
      let cumulative = 0;
      for (let i = 0; i < child.bounds.length; i++) {
        cumulative += child.counts[i];
        text += `${name}_bucket{${prefix}le="${
          formatValue(child.bounds[i])
        }"} ${cumulative}\n`;
      }
      text += `${name}_bucket{${prefix}le="+Inf"} ${child.count}\n`;
      text += `${name}_sum${braces(child.pairs)} ${formatValue(child.sum)}\n`;
      text += `${name}_count${braces(child.pairs)} ${child.count}\n`;
    }
    return text;
  }
}

function checkBuckets(name: string, buckets: readonly number[]): void {
  for (let i = 0; i < buckets.length; i++) {
    if (
      !Number.isFinite(buckets[i]) || (i > 0 && buckets[i] <= buckets[i - 1])
    ) {
      throw new TypeError(
        `Buckets of ${name} must be finite and ascending: ${
          buckets.join(", ")
        }`,
      );
    }
  }
}
