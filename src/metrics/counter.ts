/**
 * Counters: values that only go up (requests served, runs ended).
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

/** One labelled counter value. `inc()` is the hot path: a property add. */
export class CounterChild {
  /** The current count. */
  value = 0;
  /** The label pairs, `a="x",b="y"`. */
  readonly pairs: string;

  /** A zero count for `pairs`. */
  constructor(pairs: string) {
    this.pairs = pairs;
  }

  /** Adds `by` (default 1); a counter never goes down, so a negative `by` throws. */
  inc(by = 1): void {
    if (by < 0) throw new RangeError("A counter cannot decrease");
    this.value += by;
  }
}

/**
 * A counter family.
 *
 * @example
 * ```ts
 * import { Counter } from "./counter.ts";
 * const requests = new Counter({
 *   name: "app_requests_total",
 *   help: "Requests served",
 *   labelNames: ["status"],
 * });
 * const ok = requests.labels("200"); // resolve once, keep it
 * ok.inc();
 * console.log(requests.expose().includes('app_requests_total{status="200"} 1')); // true
 * ```
 */
export class Counter extends Metric<CounterChild> {
  /** `counter`. */
  readonly type: MetricType = "counter";

  /** A counter; `options.collect` (for counts kept elsewhere) runs before each exposition. */
  constructor(options: MetricOptions & CollectOptions<Counter>) {
    super(options);
  }

  /** Adds `by` to a counter without labels. */
  inc(by = 1): void {
    this.unlabelled.inc(by);
  }

  protected createChild(pairs: string): CounterChild {
    return new CounterChild(pairs);
  }

  protected lines(): string {
    return valueLines(this.name, this.children());
  }
}
