/**
 * `[aio/health]` for a running app: the health server, the readiness it
 * reports, and aio's metrics wired to the parts that move them (the
 * scheduler's `onRun`, the servers' observer, the signals' observer, the
 * reload signals). The app loads this module only when the config has
 * `[aio/health]`: without it no metrics code runs on any path.
 *
 * @module
 */

import { reloadSucceeded } from "../reload/result.ts";
import { getLogger } from "../logging.ts";
import { AioMetrics } from "../metrics/aio_metrics.ts";
import type { ProcessMetrics } from "../metrics/process.ts";
import type { ServerMetrics } from "../metrics/aio_metrics.ts";
import type { RunInfo } from "../schedule/scheduler.ts";
import type { ServerObserver } from "../server/observer.ts";
import type { ResolvedServer } from "../server/resolve.ts";
import type { Server } from "../server/running.ts";
import type { Listener, SignalObserver, Signals } from "../signals.ts";
import type { HealthSpec } from "./config.ts";
import { Readiness } from "./readiness.ts";
import { type HealthServer, startHealthServer } from "./server.ts";

const logger = getLogger("aio.health");

/**
 * The lifecycle signals of a reload, as the reload emits them: `reloading`
 * as it begins, `reloaded` once it has ended, with the app as the message
 * (its `lastReload.outcome` says whether the new config runs, or the old
 * one runs on).
 */
export const RELOAD_SIGNALS = {
  reloading: "aio-reloading",
  reloaded: "aio-reloaded",
} as const;

/** The transports whose connections aio's servers report (open and closed). */
const STREAM_TRANSPORTS = new Set(["tcp", "unix", "tls"]);

/**
 * The health server and metrics of one running app.
 *
 * @example
 * ```ts
 * import { AppHealth } from "./app_health.ts";
 * import { Signals } from "../signals.ts";
 * const signals = new Signals();
 * const health = AppHealth.start({ address: "127.0.0.1", port: 0 }, signals);
 * // ... the scheduler gets health.onRun, the servers health.serverObserver
 * health.readiness.ready(); // aio-started has run
 * await health.close(signals);
 * ```
 */
export class AppHealth {
  /** aio's metrics, kept for the app's whole run (reloads included). */
  readonly metrics: AioMetrics;
  /** What `/readyz` answers from. */
  readonly readiness: Readiness = new Readiness();
  /** Give it to the scheduler (`new Scheduler({ onRun })`). */
  readonly onRun: (info: RunInfo) => void;
  /** Give it to `startServers` and `reconcileServers` (`observer`). */
  readonly serverObserver: ServerObserver;
  readonly #server: HealthServer | undefined;
  readonly #process: ProcessMetrics;
  readonly #servers = new Map<string, ServerMetrics>();
  readonly #signalObserver: SignalObserver;
  readonly #listeners: [string, Listener][];

  /**
   * Starts the health server on `spec`'s address and watches `signals`
   * (every emit and listener error; the reload signals). Throws an
   * `AioError` naming `[aio/health]`, the address and port when it cannot
   * bind.
   */
  static start(spec: HealthSpec, signals: Signals): AppHealth {
    return new AppHealth(spec, signals);
  }

  private constructor(spec: HealthSpec, signals: Signals) {
    const metrics = this.metrics = new AioMetrics();
    this.#server = spec.serve === false ? undefined : startHealthServer({
      hostname: spec.address,
      port: spec.port,
      readiness: this.readiness,
      metrics: metrics.registry,
    });
    this.#process = metrics.startProcessMetrics();
    this.onRun = (info) => metrics.scheduleRun(info);
    this.serverObserver = {
      connectionOpened: (name) => this.#handle(name).opened(),
      connectionClosed: (name) => this.#handle(name).closed(),
      httpResponse: (name, status) => this.#handle(name).request(status),
    };
    this.#signalObserver = {
      emitted: (signal) => metrics.signal(signal).emits.value++,
      listenerFailed: (signal) => metrics.signal(signal).listenerErrors.value++,
    };
    signals.setObserver(this.#signalObserver);
    const readiness = this.readiness;
    this.#listeners = [
      [RELOAD_SIGNALS.reloading, () => readiness.draining()],
      [RELOAD_SIGNALS.reloaded, (_signal, app) => {
        // Either way an app runs (the new one, or the old one on): it
        // takes traffic again.
        metrics.reload(reloadSucceeded(app) ? "ok" : "failed");
        if (readiness.phase === "draining") readiness.ready();
      }],
    ];
    for (const [name, listener] of this.#listeners) {
      signals.listen(name, listener, { name: "aio's health readiness" });
    }
    if (this.#server) {
      logger.info("Health server listening on {address}", {
        address: formatAddress(this.#server.addr),
      });
    }
  }

  /** The health server's bound address (the real port when 0 was asked for); undefined when it serves nothing. */
  get addr(): Deno.NetAddr | undefined {
    return this.#server?.addr;
  }

  /**
   * Shows the series of what the app started at 0 from the start: each
   * schedule's runs, and the connections of its stream servers (HTTP
   * servers report requests, not connections).
   */
  started(
    servers: Readonly<Record<string, Server>>,
    schedules: readonly string[],
  ): void {
    for (const name of schedules) this.metrics.schedule(name);
    for (const [name, server] of Object.entries(servers)) {
      // A RunningServer knows its section.
      const resolved = (server as { resolved?: ResolvedServer }).resolved;
      if (
        !resolved?.protocol || resolved.factory ||
        !STREAM_TRANSPORTS.has(resolved.spec.transport)
      ) continue;
      const handle = this.#handle(name);
      // Reading a series creates it.
      void handle.connections;
      void handle.accepted;
    }
  }

  /** A server is gone for good (a reload removed it, and it has drained): its open-connections series goes. */
  serverRemoved(name: string): void {
    this.#servers.delete(name);
    this.metrics.serverRemoved(name);
  }

  /** Stops the health server and the lag sampler, and stops watching `signals`. */
  async close(signals: Signals | null): Promise<void> {
    if (signals) {
      signals.setObserver(undefined);
      for (const [name, listener] of this.#listeners) {
        signals.unlisten(name, listener);
      }
    }
    this.#process.stop();
    await this.#server?.close();
  }

  #handle(name: string): ServerMetrics {
    let found = this.#servers.get(name);
    if (found === undefined) {
      this.#servers.set(name, found = this.metrics.server(name));
    }
    return found;
  }
}

/** `127.0.0.1:9100`, `[::1]:9100`. */
export function formatAddress(addr: Deno.NetAddr): string {
  const host = addr.hostname.includes(":")
    ? `[${addr.hostname}]`
    : addr.hostname;
  return `${host}:${addr.port}`;
}
