/**
 * The operating-system signals `aio run` answers, all wired in one place
 * (SPEC 10):
 *
 * | signal                     | what aio does                                                  |
 * | -------------------------- | -------------------------------------------------------------- |
 * | SIGINT, SIGTERM, SIGQUIT   | stop; a second one within 500 ms is the same one; a later one forces exit 1 |
 * | SIGHUP                     | reload (not yet: until then, reopen the log files)             |
 * | SIGUSR1                    | reopen the log files                                           |
 * | SIGUSR2                    | nothing (logged): Deno's default would kill aio                |
 *
 * SIGPIPE needs nothing: Deno ignores it, and a write to a closed pipe fails
 * with an error instead. Deno's own defaults would end aio without a stop
 * on SIGHUP, SIGQUIT and SIGUSR2; nothing here leaves one of those to them.
 *
 * The seam for reload: a caller that can reload passes `reload`; SIGHUP then
 * calls it instead of `reopenLogs`.
 *
 * @module
 */

/** The signals that stop aio. */
export const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGQUIT"] as const;

/** A stop signal this soon after the first one is the same one (ms). */
export const SAME_SIGNAL_WINDOW_MS = 500;

/** What a stop signal means, given the ones before it. */
export type StopSignalVerdict = "stop" | "same" | "force";

/**
 * Tells a first stop signal from a copy of it and from a second one. A
 * terminal sends Ctrl-C's SIGINT to its whole process group, so a task
 * runner (`deno task`, `npx`, `deno run --watch`) that forwards it makes
 * aio see two at once: a signal within {@linkcode SAME_SIGNAL_WINDOW_MS}
 * of the first counts as the same one.
 *
 * @example
 * ```ts
 * import { StopSignalCounter } from "./process_signals.ts";
 * const counter = new StopSignalCounter();
 * counter.classify(1000); // "stop"
 * counter.classify(1200); // "same"
 * counter.classify(1600); // "force"
 * ```
 */
export class StopSignalCounter {
  #first: number | undefined;

  /** The time of the first stop signal, if there was one (ms). */
  get firstAt(): number | undefined {
    return this.#first;
  }

  /**
   * Counts a stop signal that arrived at `now` (ms, any monotonic clock).
   *
   * @returns `stop` for the first, `same` within the window after it,
   * `force` later.
   */
  classify(now: number): StopSignalVerdict {
    if (this.#first === undefined) {
      this.#first = now;
      return "stop";
    }
    return now - this.#first < SAME_SIGNAL_WINDOW_MS ? "same" : "force";
  }
}

/** What each signal does; see the module's table. */
export interface ProcessSignalHandlers {
  /** The first SIGINT, SIGTERM or SIGQUIT: begin the stop. */
  stop(signal: Deno.Signal): void;
  /** A later one: the stop takes too long for the operator; exit now. */
  force(signal: Deno.Signal): void;
  /** SIGUSR1 (and SIGHUP while there is no `reload`): reopen the log files. */
  reopenLogs?(signal: Deno.Signal): Promise<void> | void;
  /** SIGHUP: reload the config (the seam for the reload work; unset, SIGHUP reopens the logs). */
  reload?(): Promise<void> | void;
  /** A signal aio gives no meaning (SIGUSR2), caught so that it cannot kill aio. */
  ignored?(signal: Deno.Signal): void;
  /** A handler that threw or rejected. */
  failed?(signal: Deno.Signal, error: unknown): void;
}

/**
 * Installs the listeners for every signal in the module's table (on
 * Windows, SIGINT only).
 *
 * @param handlers What each signal does.
 * @param now The clock the 500 ms window is measured on.
 * @returns A function that removes every listener installed.
 */
export function installProcessSignals(
  handlers: ProcessSignalHandlers,
  now: () => number = () => performance.now(),
): () => void {
  const counter = new StopSignalCounter();
  const installed: [Deno.Signal, () => void][] = [];
  const on = (signal: Deno.Signal, action: () => unknown) => {
    const listener = () => {
      try {
        const result = action();
        if (result instanceof Promise) {
          result.catch((error) => handlers.failed?.(signal, error));
        }
      } catch (error) {
        handlers.failed?.(signal, error);
      }
    };
    Deno.addSignalListener(signal, listener);
    installed.push([signal, listener]);
  };
  const stopSignals = Deno.build.os === "windows"
    ? (["SIGINT"] as const)
    : STOP_SIGNALS;
  for (const signal of stopSignals) {
    on(signal, () => {
      const verdict = counter.classify(now());
      if (verdict === "stop") handlers.stop(signal);
      else if (verdict === "force") handlers.force(signal);
    });
  }
  if (Deno.build.os !== "windows") {
    on(
      "SIGHUP",
      () =>
        handlers.reload ? handlers.reload() : handlers.reopenLogs?.("SIGHUP"),
    );
    on("SIGUSR1", () => handlers.reopenLogs?.("SIGUSR1"));
    on("SIGUSR2", () => handlers.ignored?.("SIGUSR2"));
  }
  return () => {
    for (const [signal, listener] of installed) {
      Deno.removeSignalListener(signal, listener);
    }
  };
}
