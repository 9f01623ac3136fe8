/**
 * The bound on a stop, enforced from outside the event loop (SPEC 10: "Stop
 * is bounded"). A `Worker` thread listens for the stop signals itself, so
 * a blocked main thread (a schedule spinning for seconds, a module stuck in
 * a synchronous loop) can neither delay the count nor hold the process:
 *
 * - at the first SIGINT, SIGTERM or SIGQUIT (or when the main thread says
 *   the stop began) it arms a deadline of `shutdown_timeout` + 1 s;
 * - a second stop signal 500 ms or more after the first gives the main
 *   thread 1 s to exit on its own (flushing its logs), then ends it;
 * - at the deadline it writes one line to stderr, removes the pidfile (if
 *   any) and ends the process.
 *
 * How it ends the process: `Deno.exit` in a worker ends only the worker, so
 * the watchdog calls libc's `_exit(1)` through FFI when `--allow-ffi` is
 * granted (`-A` grants it): exit status 1. Without it, it sends itself
 * SIGKILL (`Deno.kill` on the own pid needs no permission): status 137, as
 * systemd's own SIGKILL after `TimeoutStopSec` would be. The worker is
 * started from a `blob:` URL, so it needs no read permission.
 *
 * @module
 */

/** What the watchdog needs to know, sent again whenever it changes. */
export interface WatchdogSettings {
  /** `[aio] shutdown_timeout` in ms. */
  shutdownTimeoutMs: number;
  /** The pidfile to remove before ending the process, if aio holds one. */
  pidfile?: string;
}

/** How long past `shutdown_timeout` the watchdog waits before it ends the process (ms). */
export const WATCHDOG_GRACE_MS = 1000;

/**
 * The watchdog of one `aio run`. Its thread starts when
 * {@linkcode StopWatchdog.start} is called (at the start of `aio run`, so
 * that it boots while the modules are imported) or when a stop begins,
 * whichever comes first; {@linkcode StopWatchdog.ready} says when it
 * listens (`aio run` waits for that before any part of the app starts).
 * Until then a stop is the main thread's to handle, which it can while it
 * is not blocked.
 *
 * @example
 * ```ts ignore
 * import { StopWatchdog } from "./stop_watchdog.ts";
 * const watchdog = new StopWatchdog({ shutdownTimeoutMs: 10_000 });
 * watchdog.start(); // the thread runs, listening for stop signals
 * watchdog.stopBegan(); // armed: the process ends by 11 s from now
 * ```
 */
export class StopWatchdog {
  #settings: WatchdogSettings;
  #worker: Worker | undefined;
  #started = false;
  #ready: Promise<void> = Promise.resolve();

  /** A watchdog whose thread is not started yet. */
  constructor(settings: WatchdogSettings) {
    this.#settings = settings;
  }

  /** Whether its thread runs (false before {@linkcode StopWatchdog.start}, or where workers cannot start). */
  get running(): boolean {
    return this.#worker !== undefined;
  }

  /**
   * Starts the watchdog thread, once; where workers cannot start it does
   * nothing (it never throws: a run without a watchdog is still a run).
   */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    let url: string | undefined;
    try {
      const source = `(${watchdogMain.toString()})(${
        JSON.stringify({
          graceMs: WATCHDOG_GRACE_MS,
          windowMs: 500,
          forceGraceMs: 1000,
          windows: Deno.build.os === "windows",
          libc: Deno.build.os === "darwin"
            ? ["libSystem.B.dylib"]
            : ["libc.so.6", "libc.so"],
        })
      });`;
      url = URL.createObjectURL(
        new Blob([source], { type: "application/javascript" }),
      );
      const worker = new Worker(url, { type: "module", name: "aio-watchdog" });
      this.#ready = new Promise((resolve) => {
        worker.onmessage = (event: MessageEvent) => {
          if ((event.data as { type?: string })?.type === "ready") resolve();
        };
        worker.onerror = (event) => {
          event.preventDefault();
          resolve();
        };
      });
      worker.postMessage({ type: "settings", ...this.#settings });
      this.#worker = worker;
    } catch {
      this.#worker = undefined;
    } finally {
      // The worker has its own copy once it is created.
      if (url) setTimeout(() => URL.revokeObjectURL(url!), 10_000);
    }
  }

  /**
   * Resolves once the thread listens for stop signals (a signal sent
   * before that reaches the main thread alone), or after `timeoutMs`, or at
   * once when there is no thread.
   */
  async ready(timeoutMs: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.#ready,
      new Promise((resolve) => timer = setTimeout(resolve, timeoutMs)),
    ]);
    clearTimeout(timer);
  }

  /** Sends new settings (the real `shutdown_timeout` once the config is read). */
  update(settings: WatchdogSettings): void {
    this.#settings = settings;
    this.#worker?.postMessage({ type: "settings", ...settings });
  }

  /**
   * The stop began (the main thread's view): starts the thread if it is
   * not running yet, and arms the deadline if no signal did yet.
   */
  stopBegan(): void {
    this.start();
    this.#worker?.postMessage({ type: "stop" });
  }

  /** Ends the watchdog thread. */
  terminate(): void {
    this.#worker?.terminate();
  }
}

interface WatchdogConstants {
  graceMs: number;
  windowMs: number;
  forceGraceMs: number;
  windows: boolean;
  libc: string[];
}

/**
 * The worker's whole program. It runs from its source text in the worker,
 * so it must use nothing from this module's scope.
 */
function watchdogMain(constants: WatchdogConstants): void {
  const scope = globalThis as unknown as {
    onmessage: ((event: MessageEvent) => void) | null;
    postMessage(message: unknown): void;
  };
  let shutdownTimeoutMs = 10_000;
  let pidfile: string | undefined;
  let firstAt: number | undefined;
  let deadline: ReturnType<typeof setTimeout> | undefined;
  let forcing: ReturnType<typeof setTimeout> | undefined;

  const end = (line: string): void => {
    try {
      Deno.stderr.writeSync(new TextEncoder().encode(`${line}\n`));
    } catch {
      // Nowhere to say it; end all the same.
    }
    if (pidfile) {
      try {
        Deno.removeSync(pidfile);
      } catch {
        // Already gone, or not ours to remove.
      }
    }
    if (Deno.permissions.querySync({ name: "ffi" }).state === "granted") {
      for (const name of constants.libc) {
        try {
          const libc = Deno.dlopen(name, {
            _exit: { parameters: ["i32"], result: "void" },
          });
          libc.symbols._exit(1);
        } catch {
          // Not this library; try the next, then SIGKILL.
        }
      }
    }
    Deno.kill(Deno.pid, "SIGKILL");
  };

  const schedule = (): void => {
    if (firstAt === undefined) return;
    clearTimeout(deadline);
    const seconds = shutdownTimeoutMs / 1000;
    deadline = setTimeout(
      () =>
        end(
          `aio: error: stop took longer than shutdown_timeout (${seconds} s): exiting`,
        ),
      Math.max(0, firstAt + shutdownTimeoutMs + constants.graceMs - Date.now()),
    );
  };

  const arm = (): void => {
    if (firstAt !== undefined) return;
    firstAt = Date.now();
    schedule();
  };

  const onStopSignal = (): void => {
    if (firstAt === undefined) return arm();
    if (Date.now() - firstAt < constants.windowMs || forcing) return;
    // The main thread exits at once on a second signal, logs flushed; this
    // is for when it cannot run.
    forcing = setTimeout(
      () => end("aio: error: second signal during stop, exiting now"),
      constants.forceGraceMs,
    );
  };

  const signals: Deno.Signal[] = constants.windows
    ? ["SIGINT"]
    : ["SIGINT", "SIGTERM", "SIGQUIT"];
  for (const signal of signals) Deno.addSignalListener(signal, onStopSignal);

  scope.onmessage = (event: MessageEvent) => {
    const message = event.data as {
      type: string;
      shutdownTimeoutMs?: number;
      pidfile?: string;
    };
    if (message.type === "stop") arm();
    if (message.type === "settings") {
      if (message.shutdownTimeoutMs !== undefined) {
        shutdownTimeoutMs = message.shutdownTimeoutMs;
      }
      pidfile = message.pidfile;
      schedule();
    }
  };
  // From here on a stop signal reaches this thread.
  scope.postMessage({ type: "ready" });
}
