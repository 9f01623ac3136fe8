/**
 * Prometheus metrics: a small registry (counters, gauges, histograms with
 * labels) that writes the text exposition format 0.0.4, the process
 * metrics, aio's own metric set, and merging several processes' pages.
 *
 * @module
 */

export { Counter, CounterChild } from "./counter.ts";
export { Gauge, GaugeChild, type GaugeOptions } from "./gauge.ts";
export {
  DEFAULT_BUCKETS,
  Histogram,
  HistogramChild,
  type HistogramOptions,
} from "./histogram.ts";
export {
  type CollectOptions,
  Metric,
  type MetricOptions,
  type MetricType,
} from "./metric.ts";
export { PROMETHEUS_CONTENT_TYPE, Registry } from "./registry.ts";
export {
  type ProcessMetrics,
  type ProcessMetricsOptions,
  registerProcessMetrics,
} from "./process.ts";
export { type LabelledExposition, mergeExpositions } from "./merge.ts";
export {
  AioMetrics,
  LATENESS_BUCKETS,
  type ReloadOutcome,
  SCHEDULE_OUTCOMES,
  type ScheduleMetrics,
  type ScheduleOutcome,
  type ServerMetrics,
  type SignalMetrics,
} from "./aio_metrics.ts";
