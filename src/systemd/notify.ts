/**
 * An sd_notify client: tells systemd (through `NOTIFY_SOCKET`) when aio is
 * ready, reloading or stopping, what it is doing (`STATUS=`), and that its
 * event loop is alive (`WATCHDOG=1`).
 *
 * Three routes, tried in this order on the first message:
 * - `native`: Deno's unix datagram socket, with `--unstable-net` (paths only);
 * - `ffi`: libc's `sendto`, with `--allow-ffi` (paths and `@abstract` names);
 * - `helper`: the `systemd-notify` binary, with `--allow-run=systemd-notify`
 *   (sends from its own pid: the unit needs `NotifyAccess=all`).
 * The first two send from aio's own pid. None available: the first message
 * logs one warning and the notifier goes quiet. Nothing here blocks the
 * event loop or throws into the app: a failed send is logged once.
 *
 * @module
 */

import { getLogger } from "../logging.ts";
import { openFfiRoute } from "./_ffi_route.ts";
import { openHelperRoute } from "./_helper_route.ts";
import { openNativeRoute } from "./_native_route.ts";
import { readEnv } from "./_permissions.ts";
import {
  type NotifyAddress,
  type NotifyRoute,
  type NotifyRouteName,
  parseNotifyAddress,
  RouteUnavailable,
} from "./_route.ts";
import { monotonicUsec } from "./monotonic.ts";

export type { NotifyRouteName } from "./_route.ts";

const logger = getLogger("aio.systemd");

/** The environment variables the notifier reads (grant them with `--allow-env`). */
export const NOTIFY_ENV_NAMES: readonly string[] = [
  "NOTIFY_SOCKET",
  "WATCHDOG_USEC",
  "WATCHDOG_PID",
  "RUNTIME_DIRECTORY",
];
/** The routes, in the order they are tried. */
export const NOTIFY_ROUTES: readonly NotifyRouteName[] = [
  "native",
  "ffi",
  "helper",
];
/** How long one message may take before the next goes ahead. */
const SEND_TIMEOUT_MS = 5000;
/** How long `close()` waits for messages still queued. */
const CLOSE_TIMEOUT_MS = 2000;
/** systemd ignores longer STATUS= texts. */
const STATUS_MAX = 1024;

const OPENERS: Record<
  NotifyRouteName,
  (address: NotifyAddress) => NotifyRoute
> = {
  native: openNativeRoute,
  ffi: openFfiRoute,
  helper: openHelperRoute,
};

/** Options for {@linkcode SystemdNotifier}; every one defaults to the process's environment. */
export interface SystemdNotifierOptions {
  /** The notify socket (default `$NOTIFY_SOCKET`; unset or empty: the notifier does nothing). */
  socket?: string;
  /** The watchdog interval in µs (default `$WATCHDOG_USEC`, honoured when `$WATCHDOG_PID` is unset or this pid). */
  watchdogUsec?: number;
  /** The routes to try, in order (default {@linkcode NOTIFY_ROUTES}). */
  routes?: readonly NotifyRouteName[];
  /** Where the one warning about a failure goes (default aio's `aio.systemd` logger). */
  warn?: (message: string) => void;
}

/** One sd_notify field set: `{ READY: 1, STATUS: "..." }`. */
export type NotifyFields = Record<string, string | number | bigint>;

/**
 * Speaks sd_notify for one process. Messages go out in the order they were
 * given; each method resolves once its message is sent or has failed (it
 * never rejects), so awaiting is optional.
 *
 * @example
 * ```ts
 * import { SystemdNotifier } from "./notify.ts";
 * const notifier = new SystemdNotifier(); // reads NOTIFY_SOCKET, WATCHDOG_USEC
 * notifier.startWatchdog(); // WATCHDOG=1 every half interval, if systemd asked
 * await notifier.ready("2 servers, 1 schedule");
 * await notifier.stopping();
 * await notifier.close();
 * ```
 */
export class SystemdNotifier {
  readonly #address: NotifyAddress | undefined;
  readonly #routes: readonly NotifyRouteName[];
  readonly #warn: (message: string) => void;
  readonly #watchdogUsec: number | undefined;
  #route: NotifyRoute | null | undefined;
  /** Routes found unusable on first use, with why. */
  readonly #skip = new Map<NotifyRouteName, string>();
  #queue: Promise<void> = Promise.resolve();
  #warned = false;
  #watchdog: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  /** A notifier for `options.socket` (default `$NOTIFY_SOCKET`). */
  constructor(options: SystemdNotifierOptions = {}) {
    this.#warn = options.warn ??
      ((message) => logger.warn("{message}", { message }));
    this.#routes = options.routes ?? NOTIFY_ROUTES;
    const socket = options.socket ?? readEnv("NOTIFY_SOCKET") ?? "";
    this.#address = socket ? parseNotifyAddress(socket) : undefined;
    if (socket && !this.#address) {
      this.#warnOnce(
        `NOTIFY_SOCKET=${socket} is neither an absolute path nor @abstract; not notifying systemd`,
      );
    }
    this.#watchdogUsec = options.watchdogUsec ?? watchdogFromEnv();
  }

  /** True when there is a notify socket to talk to. */
  get enabled(): boolean {
    return this.#address !== undefined;
  }

  /** The route in use, once the first message has gone (undefined before; null when none works). */
  get route(): NotifyRouteName | null | undefined {
    return this.#route === undefined ? undefined : this.#route?.name ?? null;
  }

  /** The watchdog interval systemd asked for, in µs, if it applies to this process. */
  get watchdogUsec(): number | undefined {
    return this.#watchdogUsec;
  }

  /** `READY=1`: start-up (or a reload) is complete. */
  ready(status?: string): Promise<void> {
    return this.send({ READY: 1, ...statusField(status) });
  }

  /** `RELOADING=1` with `MONOTONIC_USEC=` (when this process can read the clock): a reload begins. */
  reloading(status?: string): Promise<void> {
    const now = monotonicUsec();
    return this.send({
      RELOADING: 1,
      ...(now ? { MONOTONIC_USEC: now.usec } : {}),
      ...statusField(status),
    });
  }

  /** `STOPPING=1`: the stop has begun. */
  stopping(status?: string): Promise<void> {
    return this.send({ STOPPING: 1, ...statusField(status) });
  }

  /** `STATUS=`: one line for `systemctl status`. */
  status(text: string): Promise<void> {
    return this.send(statusField(text));
  }

  /** `MAINPID=`: the process systemd should watch (a supervisor's). */
  mainPid(pid: number): Promise<void> {
    return this.send({ MAINPID: pid });
  }

  /** `WATCHDOG=1`: the event loop is alive. */
  watchdog(): Promise<void> {
    return this.send({ WATCHDOG: 1 });
  }

  /**
   * Sends `WATCHDOG=1` now and then every half of `WATCHDOG_USEC` from a
   * timer on the event loop, so a blocked loop stops the pings and systemd
   * acts. The timer does not keep the process alive. Returns whether
   * systemd asked for a watchdog (and so whether it started).
   */
  startWatchdog(): boolean {
    if (!this.enabled || !this.#watchdogUsec || this.#watchdog !== undefined) {
      return this.#watchdog !== undefined;
    }
    const intervalMs = Math.max(1, this.#watchdogUsec / 2000);
    this.watchdog();
    this.#watchdog = setInterval(() => this.watchdog(), intervalMs);
    Deno.unrefTimer(this.#watchdog);
    return true;
  }

  /** Stops the watchdog pings. */
  stopWatchdog(): void {
    clearInterval(this.#watchdog);
    this.#watchdog = undefined;
  }

  /**
   * Sends one datagram of `KEY=VALUE` lines, after the ones before it.
   * Resolves when it has gone or failed; never rejects.
   */
  send(fields: NotifyFields): Promise<void> {
    if (!this.#address || this.#closed) return Promise.resolve();
    const message = Object.entries(fields)
      .map(([key, value]) => `${key}=${value}`).join("\n");
    if (!message) return Promise.resolve();
    this.#queue = this.#queue.then(() => this.#deliver(message));
    return this.#queue;
  }

  /** Stops the watchdog, waits (up to 2 s) for queued messages, releases the route. */
  async close(): Promise<void> {
    this.stopWatchdog();
    if (this.#closed) return;
    this.#closed = true;
    await within(this.#queue, CLOSE_TIMEOUT_MS);
    await this.#route?.close();
  }

  async #deliver(message: string): Promise<void> {
    while (true) {
      const route = this.#open();
      if (!route) return;
      const outcome = await within(
        route.send(message).then(() => undefined, (error: unknown) => error),
        SEND_TIMEOUT_MS,
      );
      if (outcome === LATE) {
        this.#warnOnce(
          `systemd notification through ${route.name} took over ${SEND_TIMEOUT_MS} ms; going on`,
        );
      } else if (outcome instanceof RouteUnavailable) {
        // Found out only on use (no binary, say): try the next route.
        logger.debug("sd_notify route {route} unavailable: {reason}", {
          route: route.name,
          reason: outcome.message,
        });
        await route.close();
        this.#skip.set(route.name, outcome.message);
        this.#route = undefined;
        continue;
      } else if (outcome !== undefined) {
        this.#warnOnce(
          `Cannot notify systemd at ${this.#address?.text} through ${route.name}: ${
            outcome instanceof Error ? outcome.message : String(outcome)
          } (further failures are not logged)`,
        );
      }
      return;
    }
  }

  #open(): NotifyRoute | null {
    if (this.#route !== undefined) return this.#route;
    const reasons: string[] = [];
    for (const name of this.#routes) {
      const skipped = this.#skip.get(name);
      if (skipped !== undefined) {
        reasons.push(`${name}: ${skipped}`);
        continue;
      }
      try {
        this.#route = OPENERS[name](this.#address!);
        logger.debug("sd_notify through {route}", { route: name });
        return this.#route;
      } catch (error) {
        if (!(error instanceof RouteUnavailable)) throw error;
        reasons.push(`${name}: ${error.message}`);
      }
    }
    this.#route = null;
    this.#warnOnce(
      `Cannot notify systemd at ${this.#address?.text}: no route works (${
        reasons.join("; ")
      }); grant one (see "Running under systemd" in the README)`,
    );
    return null;
  }

  #warnOnce(message: string): void {
    if (this.#warned) return;
    this.#warned = true;
    this.#warn(message);
  }
}

function statusField(status: string | undefined): NotifyFields {
  if (status === undefined) return {};
  return { STATUS: status.replace(/[\r\n]+/g, " ").slice(0, STATUS_MAX) };
}

/** `$WATCHDOG_USEC` when it is a positive number and `$WATCHDOG_PID` is unset or this process. */
function watchdogFromEnv(): number | undefined {
  const usec = Number(readEnv("WATCHDOG_USEC"));
  if (!(usec > 0)) return undefined;
  const pid = readEnv("WATCHDOG_PID");
  if (pid !== undefined && pid !== "" && Number(pid) !== Deno.pid) {
    return undefined;
  }
  return usec;
}

const LATE = Symbol("late");

/** What `promise` settles to, or {@linkcode LATE} when `ms` ran out first. */
async function within<T>(
  promise: Promise<T>,
  ms: number,
): Promise<T | typeof LATE> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<typeof LATE>((resolve) => {
    timer = setTimeout(() => resolve(LATE), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
