/**
 * What the supervisor tells the outside world for all its workers: systemd
 * (through the notifier `aio run` opens when `NOTIFY_SOCKET` is set, which
 * also sends `STOPPING=1` and the `WATCHDOG=1` pings: `MAINPID=` and
 * `READY=1` once every worker has started, `RELOADING=1` and `READY=1`
 * around a rolling reload, `STATUS=` lines), and
 * `[aio/health]` (`/healthz`; `/readyz` 200 while a worker serves and no stop
 * drains them all; `/metrics`, every worker's page under a `worker` label
 * plus the supervisor's own figures, `aio_worker_restarts_total` among them).
 * Each part loads only when it is asked for.
 *
 * @module
 */

import type {
  HealthServer,
  HealthSpec,
  ReadinessPhase,
} from "../health/mod.ts";
import type { AioMetrics, LabelledExposition } from "../metrics/mod.ts";
import type { SystemdNotifier } from "../systemd/notify.ts";

/** What {@linkcode SupervisorObservability.open} needs. */
export interface ObservabilityOptions {
  /** The notifier `aio run` opened when `NOTIFY_SOCKET` is set (it sends `STOPPING=1` and closes it). */
  notifier?: SystemdNotifier;
  /** `[aio/health]`, when the config has it. */
  health?: HealthSpec;
  /** Where the workers are, as `/readyz` reports it. */
  phase: () => ReadinessPhase;
  /** Every serving worker's metrics page, labelled with its slot. */
  workerPages: () => Promise<LabelledExposition[]>;
}

/** The supervisor's notifier, health server and metrics; each absent when not configured. */
export class SupervisorObservability {
  readonly #notifier: SystemdNotifier | undefined;
  readonly #health: HealthServer | undefined;
  readonly #metrics: AioMetrics | undefined;

  private constructor(
    notifier: SystemdNotifier | undefined,
    health: HealthServer | undefined,
    metrics: AioMetrics | undefined,
  ) {
    this.#notifier = notifier;
    this.#health = health;
    this.#metrics = metrics;
  }

  /**
   * Opens what is configured: the health server when `[aio/health]` is
   * there (an `AioError` when it cannot bind).
   */
  static async open(
    options: ObservabilityOptions,
  ): Promise<SupervisorObservability> {
    const notifier = options.notifier;
    if (!options.health) {
      return new SupervisorObservability(notifier, undefined, undefined);
    }
    const [{ AioMetrics, mergeExpositions }, { Readiness, startHealthServer }] =
      await Promise.all([
        import("../metrics/mod.ts"),
        import("../health/mod.ts"),
      ]);
    const metrics = new AioMetrics();
    metrics.startProcessMetrics();
    class WorkersReadiness extends Readiness {
      override get phase(): ReadinessPhase {
        return options.phase();
      }
      override get isReady(): boolean {
        return options.phase() === "ready";
      }
    }
    const health = startHealthServer({
      hostname: options.health.address,
      port: options.health.port,
      readiness: new WorkersReadiness(),
      metrics: async () =>
        mergeExpositions([
          { text: metrics.registry.expose() },
          ...await options.workerPages(),
        ]),
    });
    return new SupervisorObservability(notifier, health, metrics);
  }

  /** The health server's address, when it runs. */
  get healthAddr(): Deno.NetAddr | undefined {
    return this.#health?.addr;
  }

  /** Every worker has started (or a rolling reload is done): `READY=1` with `MAINPID=`. */
  ready(status: string): void {
    this.#notifier?.send({ READY: 1, MAINPID: Deno.pid, STATUS: status });
  }

  /** A rolling reload begins. */
  reloading(status: string): void {
    this.#notifier?.reloading(status);
  }

  /** A line for `systemctl status`. */
  status(text: string): void {
    this.#notifier?.status(text);
  }

  /** Counts a worker restart. */
  workerRestarted(): void {
    this.#metrics?.workerRestarted();
  }

  /** Counts a reload. */
  reloaded(ok: boolean): void {
    this.#metrics?.reload(ok ? "ok" : "failed");
  }

  /** Closes the health server (the notifier is `aio run`'s to close). */
  async close(): Promise<void> {
    await this.#health?.close();
  }
}
