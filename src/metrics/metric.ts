/**
 * What counters, gauges and histograms share: a name, help text, label
 * names, and one child per set of label values. A child is resolved once
 * (`labels(...)`) and kept by the caller, so counting is a property update
 * with no string built and no map looked up.
 *
 * @module
 */

import {
  checkLabelNames,
  checkMetricName,
  header,
  labelPairs,
} from "./_format.ts";

/** The metric kinds of the text format that aio writes. */
export type MetricType = "counter" | "gauge" | "histogram";

/** What every metric is created with. */
export interface MetricOptions {
  /** The metric name, such as `aio_reloads_total`. */
  name: string;
  /** One line for `# HELP`. */
  help: string;
  /** The label names, in the order `labels()` takes their values. */
  labelNames?: readonly string[];
}

/** Options of a metric whose values are read from elsewhere at each scrape. */
export interface CollectOptions<M> {
  /** Called before each exposition to bring the values up to date (keep it cheap and synchronous). */
  collect?: (metric: M) => void;
}

/** A family of samples with one child per set of label values. */
export abstract class Metric<Child> {
  /** The metric name. */
  readonly name: string;
  /** The help text. */
  readonly help: string;
  /** The label names, in `labels()` order. */
  readonly labelNames: readonly string[];
  /** The kind, for `# TYPE`. */
  abstract readonly type: MetricType;
  readonly #children = new Map<string, Child>();
  readonly #collect: ((metric: never) => void) | undefined;
  #unlabelled: Child | undefined;

  /** Checks the name and label names; throws TypeError on a bad one. */
  constructor(
    options: MetricOptions & CollectOptions<never>,
    reservedLabels: readonly string[] = [],
  ) {
    checkMetricName(options.name);
    this.labelNames = [...(options.labelNames ?? [])];
    checkLabelNames(options.name, this.labelNames, reservedLabels);
    this.name = options.name;
    this.help = options.help;
    this.#collect = options.collect;
  }

  /**
   * The child for these label values (one per label name, in order),
   * created on first use. Resolve it once and keep it: this call builds a
   * key, which the hot path should not pay for.
   */
  labels(...values: string[]): Child {
    if (values.length !== this.labelNames.length) {
      throw new TypeError(
        `${this.name} takes ${this.labelNames.length} label value(s) (${
          this.labelNames.join(", ")
        }), not ${values.length}`,
      );
    }
    const key = values.join("\u0000");
    let child = this.#children.get(key);
    if (child === undefined) {
      child = this.createChild(labelPairs(this.labelNames, values));
      this.#children.set(key, child);
    }
    return child;
  }

  /** Drops the child for these label values (a server that is gone, say). */
  remove(...values: string[]): void {
    this.#children.delete(values.join("\u0000"));
  }

  /** The child of a metric without labels. */
  protected get unlabelled(): Child {
    if (this.labelNames.length > 0) {
      throw new TypeError(
        `${this.name} has labels (${
          this.labelNames.join(", ")
        }): use labels(...) first`,
      );
    }
    return this.#unlabelled ??= this.labels();
  }

  /** The children, in creation order. */
  protected children(): IterableIterator<Child> {
    // A metric without labels shows (as 0) before anything counted.
    if (this.labelNames.length === 0) this.#unlabelled ??= this.labels();
    return this.#children.values();
  }

  /** Makes the child whose label pairs (`a="x",b="y"`) are `pairs`. */
  protected abstract createChild(pairs: string): Child;

  /** The sample lines of every child. */
  protected abstract lines(): string;

  /** Runs `collect`, then the family in the text format: HELP, TYPE and every sample line. */
  expose(): string {
    this.#collect?.(this as never);
    return header(this.name, this.help, this.type) + this.lines();
  }
}
