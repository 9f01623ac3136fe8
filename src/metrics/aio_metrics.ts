/**
 * The metrics aio itself keeps, in one place, with one typed handle per
 * schedule, signal and server. Each handle resolves its label children
 * once, so the app's hot paths only add to a number.
 *
 * @module
 */

import type { Counter, CounterChild } from "./counter.ts";
import type { Gauge, GaugeChild } from "./gauge.ts";
import type { Histogram, HistogramChild } from "./histogram.ts";
import {
  type ProcessMetrics,
  type ProcessMetricsOptions,
  registerProcessMetrics,
} from "./process.ts";
import { Registry } from "./registry.ts";

/** How a schedule's run ended. */
export type ScheduleOutcome = "ok" | "error" | "timeout" | "skipped";
/** How a reload ended: applied, or refused (the old app keeps running). */
export type ReloadOutcome = "ok" | "failed";

/** The schedule outcomes, in the order their series appear. */
export const SCHEDULE_OUTCOMES: readonly ScheduleOutcome[] = [
  "ok",
  "error",
  "timeout",
  "skipped",
];

/** Buckets for how late a schedule run started, in seconds. */
export const LATENESS_BUCKETS: readonly number[] = [
  0.001,
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
  30,
];

/** One schedule's counters: call `run(outcome)` when a run ends or is skipped, `late(s)` when one starts. */
export class ScheduleMetrics {
  readonly #runs: Record<ScheduleOutcome, CounterChild>;
  readonly #lateness: HistogramChild;

  /** Resolves the children for `name`. */
  constructor(runs: Counter, lateness: Histogram, name: string) {
    this.#runs = {
      ok: runs.labels(name, "ok"),
      error: runs.labels(name, "error"),
      timeout: runs.labels(name, "timeout"),
      skipped: runs.labels(name, "skipped"),
    };
    this.#lateness = lateness.labels(name);
  }

  /** Counts a run that ended (`ok`, `error`, `timeout`) or a due run that was `skipped`. */
  run(outcome: ScheduleOutcome): void {
    this.#runs[outcome].inc();
  }

  /** Records how late a run started: its start minus its slot, in seconds (negative counts as 0). */
  late(seconds: number): void {
    this.#lateness.observe(seconds > 0 ? seconds : 0);
  }
}

/** One signal's counters. */
export class SignalMetrics {
  /** `aio_signal_emits_total{signal}`: add one per `emit`. */
  readonly emits: CounterChild;
  /** `aio_listener_errors_total{signal}`: add one per listener that threw. */
  readonly listenerErrors: CounterChild;

  /** Resolves the children for `signal`. */
  constructor(emits: Counter, errors: Counter, signal: string) {
    this.emits = emits.labels(signal);
    this.listenerErrors = errors.labels(signal);
  }
}

/**
 * One server's figures: connections for stream servers, requests for HTTP
 * ones. Each series appears once it is first used (or read), so an HTTP
 * server shows no connection gauge it never moves.
 */
export class ServerMetrics {
  readonly #connectionsMetric: Gauge;
  readonly #acceptedMetric: Counter;
  readonly #requests: Counter;
  readonly #name: string;
  #connections: GaugeChild | undefined;
  #accepted: CounterChild | undefined;
  // Indexed by status code; each child is resolved on the first response
  // with that status, so counting a request is an array read and an add.
  readonly #byStatus: CounterChild[] = [];

  /** The handle for server `name` (its series are created on first use). */
  constructor(
    connections: Gauge,
    accepted: Counter,
    requests: Counter,
    name: string,
  ) {
    this.#connectionsMetric = connections;
    this.#acceptedMetric = accepted;
    this.#requests = requests;
    this.#name = name;
  }

  /** `aio_server_connections{server}`: connections open now. */
  get connections(): GaugeChild {
    return this.#connections ??= this.#connectionsMetric.labels(this.#name);
  }

  /** `aio_server_accepted_total{server}`: connections accepted so far. */
  get accepted(): CounterChild {
    return this.#accepted ??= this.#acceptedMetric.labels(this.#name);
  }

  /** A connection was accepted. */
  opened(): void {
    this.accepted.value++;
    this.connections.value++;
  }

  /** A connection ended (each `opened()` is matched by one `closed()`). */
  closed(): void {
    this.connections.value--;
  }

  /** An HTTP response with `status` was sent. */
  request(status: number): void {
    (this.#byStatus[status] ??= this.#requests.labels(
      this.#name,
      String(status),
    )).value++;
  }
}

/**
 * aio's metric set in its own {@linkcode Registry}.
 *
 * @example
 * ```ts
 * import { AioMetrics } from "./aio_metrics.ts";
 * const metrics = new AioMetrics();
 * const tick = metrics.schedule("tick"); // once, when the schedule is armed
 * tick.late(0.002);
 * tick.run("ok");
 * metrics.server("web").request(200);
 * console.log(metrics.registry.expose().includes(
 *   'aio_schedule_runs_total{schedule="tick",outcome="ok"} 1',
 * )); // true
 * ```
 */
export class AioMetrics {
  /** The registry `/metrics` shows. */
  readonly registry: Registry;
  readonly #scheduleRuns: Counter;
  readonly #lateness: Histogram;
  readonly #emits: Counter;
  readonly #listenerErrors: Counter;
  readonly #connections: Gauge;
  readonly #accepted: Counter;
  readonly #httpRequests: Counter;
  readonly #reloads: Counter;
  readonly #workerRestarts: Counter;
  readonly #signals = new Map<string, SignalMetrics>();
  readonly #schedules = new Map<string, ScheduleMetrics>();
  #process: ProcessMetrics | undefined;

  /** Registers aio's metrics in `registry` (a new one by default). */
  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    this.#scheduleRuns = registry.counter({
      name: "aio_schedule_runs_total",
      help: "Schedule runs, by how they ended (ok, error, timeout, skipped).",
      labelNames: ["schedule", "outcome"],
    });
    this.#lateness = registry.histogram({
      name: "aio_schedule_lateness_seconds",
      help: "How late schedule runs started after their slot, in seconds.",
      labelNames: ["schedule"],
      buckets: LATENESS_BUCKETS,
    });
    this.#emits = registry.counter({
      name: "aio_signal_emits_total",
      help: "Signals emitted.",
      labelNames: ["signal"],
    });
    this.#listenerErrors = registry.counter({
      name: "aio_listener_errors_total",
      help: "Signal listeners that threw.",
      labelNames: ["signal"],
    });
    this.#connections = registry.gauge({
      name: "aio_server_connections",
      help: "Connections open now.",
      labelNames: ["server"],
    });
    this.#accepted = registry.counter({
      name: "aio_server_accepted_total",
      help: "Connections accepted.",
      labelNames: ["server"],
    });
    this.#httpRequests = registry.counter({
      name: "aio_http_requests_total",
      help: "HTTP responses sent, by status.",
      labelNames: ["server", "status"],
    });
    this.#reloads = registry.counter({
      name: "aio_reloads_total",
      help: "Reloads, by outcome (ok, failed).",
      labelNames: ["outcome"],
    });
    this.#workerRestarts = registry.counter({
      name: "aio_worker_restarts_total",
      help: "Worker processes restarted after they died.",
    });
    for (const outcome of ["ok", "failed"]) this.#reloads.labels(outcome);
  }

  /** The handle for schedule `name` (cached: the same object for the same name); its series show from now on. */
  schedule(name: string): ScheduleMetrics {
    let found = this.#schedules.get(name);
    if (!found) {
      found = new ScheduleMetrics(this.#scheduleRuns, this.#lateness, name);
      this.#schedules.set(name, found);
    }
    return found;
  }

  /**
   * Counts one run as the scheduler reports it (its `onRun` observer):
   * `scheduler = new Scheduler({ onRun: (info) => metrics.scheduleRun(info) })`.
   * Lateness is recorded for runs that started, not for skipped ones.
   */
  scheduleRun(
    info: { name: string; outcome: ScheduleOutcome; latenessMs: number },
  ): void {
    const found = this.#schedules.get(info.name) ?? this.schedule(info.name);
    found.run(info.outcome);
    if (info.outcome !== "skipped") found.late(info.latenessMs / 1000);
  }

  /** The handle for `signal` (cached: the same object for the same signal). */
  signal(signal: string): SignalMetrics {
    let found = this.#signals.get(signal);
    if (!found) {
      found = new SignalMetrics(this.#emits, this.#listenerErrors, signal);
      this.#signals.set(signal, found);
    }
    return found;
  }

  /** The handle for server `name`; get it once, when the server starts. */
  server(name: string): ServerMetrics {
    return new ServerMetrics(
      this.#connections,
      this.#accepted,
      this.#httpRequests,
      name,
    );
  }

  /** Drops a server's open-connections series (the server is gone after a reload); its counters stay. */
  serverRemoved(name: string): void {
    this.#connections.remove(name);
  }

  /** Counts a reload. */
  reload(outcome: ReloadOutcome): void {
    this.#reloads.labels(outcome).value++;
  }

  /** Counts a worker restart (the supervisor's). */
  workerRestarted(): void {
    this.#workerRestarts.inc();
  }

  /** Registers the process metrics and starts the lag sampler, once; returns its handle. */
  startProcessMetrics(options?: ProcessMetricsOptions): ProcessMetrics {
    return this.#process ??= registerProcessMetrics(this.registry, options);
  }
}
