/**
 * What `aio run` tells systemd about the app, driven by its life cycle:
 * `READY=1` with a status line once `aio-started` has run, `STOPPING=1`
 * when a stop signal is taken, `RELOADING=1` on `aio-reloading` and
 * `READY=1` on `aio-reloaded` (also when the reload failed: the old app runs
 * on). `aio run` loads this module only when `NOTIFY_SOCKET` is set.
 *
 * @module
 */

import { reloadSucceeded } from "../reload/result.ts";
import type { App } from "../app.ts";
import type { Listener, Signals } from "../signals.ts";
import { SystemdNotifier, type SystemdNotifierOptions } from "./notify.ts";

/**
 * sd_notify for one `aio run`.
 *
 * @example
 * ```ts
 * import { app } from "../app.ts";
 * import { AppNotifier } from "./app_notify.ts";
 * const notifier = AppNotifier.open(); // reads NOTIFY_SOCKET; starts the watchdog pings
 * // ... app.prepare(...), then:
 * notifier.watch(app.signals!);
 * await app.start();
 * notifier.started(app);
 * // on SIGTERM:
 * notifier.stopping("SIGTERM");
 * await app.stop();
 * await notifier.close(app.signals);
 * ```
 */
export class AppNotifier {
  /** The sd_notify client underneath. */
  readonly notifier: SystemdNotifier;
  #app: App | undefined;
  #reloading = false;
  #watched: [string, Listener][] = [];

  /** A notifier for the process's NOTIFY_SOCKET, its watchdog pings started. */
  static open(options?: SystemdNotifierOptions): AppNotifier {
    return new AppNotifier(new SystemdNotifier(options));
  }

  private constructor(notifier: SystemdNotifier) {
    this.notifier = notifier;
    notifier.startWatchdog();
  }

  /**
   * Follows the reload signals on `signals`: `RELOADING=1` (with
   * `MONOTONIC_USEC`) when `aio-reloading` is emitted, and `READY=1` when
   * `aio-reloaded` is: with the new status, or with one saying the reload
   * failed and the old app runs on.
   */
  watch(signals: Signals): void {
    const name = "aio's systemd notifier";
    this.#watched = [
      ["aio-reloading", () => {
        this.#reloading = true;
        this.notifier.reloading("Reloading");
      }],
      ["aio-reloaded", (_signal, app) => {
        const status = reloadSucceeded(app)
          ? this.#status()
          : `Reload failed (${reloadFailure(app)}); running: ${this.#status()}`;
        // READY=1 only ends a RELOADING=1; without one, only the status.
        if (this.#reloading) this.notifier.ready(status);
        else this.notifier.status(status);
        this.#reloading = false;
      }],
    ];
    for (const [signal, listener] of this.#watched) {
      signals.listen(signal, listener, { name });
    }
  }

  /** `READY=1` with the status line: `aio-started` has run. */
  started(app: App): Promise<void> {
    this.#app = app;
    return this.notifier.ready(this.#status());
  }

  /** `STOPPING=1`: a stop signal was taken. */
  stopping(signal?: string): Promise<void> {
    return this.notifier.stopping(
      signal ? `Stopping on ${signal}` : "Stopping",
    );
  }

  /** `STATUS=`: one line for `systemctl status` (a failure, say). */
  status(text: string): Promise<void> {
    return this.notifier.status(text);
  }

  /** Stops following `signals`, stops the watchdog, sends what is queued (at most 2 s). */
  async close(signals: Signals | null): Promise<void> {
    for (const [signal, listener] of this.#watched) {
      signals?.unlisten(signal, listener);
    }
    this.#watched = [];
    await this.notifier.close();
  }

  #status(): string {
    return this.#app ? statusLine(this.#app) : "Running";
  }
}

/**
 * What runs, for `systemctl status`:
 * `2 servers (web on 127.0.0.1:8080, echo on /run/echo.sock), 1 schedule, health on 127.0.0.1:9100`.
 */
export function statusLine(app: App): string {
  const servers = Object.values(app.servers);
  const parts = [
    plural(servers.length, "server") +
    (servers.length
      ? ` (${
        servers.map((server) => `${server.name} on ${address(server.addr)}`)
          .join(", ")
      })`
      : ""),
    plural(app.scheduleCount, "schedule"),
  ];
  const health = app.health?.addr;
  if (health) parts.push(`health on ${address(health)}`);
  return parts.join(", ");
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

function address(addr: Deno.Addr): string {
  if ("path" in addr) return addr.path;
  if (!("hostname" in addr)) return String(addr.transport);
  const host = addr.hostname.includes(":")
    ? `[${addr.hostname}]`
    : addr.hostname;
  return `${host}:${addr.port}`;
}

/** The first problem of the reload `aio-reloaded` tells of, for a status line. */
function reloadFailure(message: unknown): string {
  const errors = (message as { lastReload?: { errors?: unknown[] } } | null)
    ?.lastReload?.errors ?? [];
  const first = errors[0];
  const text = first instanceof Error ? first.message : String(first ?? "");
  return (text.split("\n")[0] || "unknown") +
    (errors.length > 1 ? ` and ${errors.length - 1} more` : "");
}
