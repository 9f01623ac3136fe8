/**
 * SIGHUP in `aio run`: reopen the log files, reload the app, log the
 * outcome and, when the process holds a pidfile, write the outcome file
 * that `aio reload` waits for (`daemon/reload_outcome.ts`). A SIGHUP
 * during start-up is held until the app has started; a stop drops it.
 *
 * @module
 */

import type { App } from "../app.ts";
import { getLogger, reopenLogFiles } from "../logging.ts";
import {
  errorLines,
  removeReloadOutcome,
  writeReloadOutcome,
} from "../daemon/reload_outcome.ts";
import type { ReloadResult } from "./result.ts";

const logger = getLogger("aio.run");

/** Options for {@linkcode ProcessReload}. */
export interface ProcessReloadOptions {
  /** Told about every reload that ran (to hand the new `shutdown_timeout` to the stop watchdog). */
  onReload?: (result: ReloadResult) => void;
}

/**
 * The `reload` hook of `aio run`'s process signals.
 *
 * @example
 * ```ts ignore
 * const reloads = new ProcessReload(app);
 * installProcessSignals({ ..., reload: () => reloads.signal("SIGHUP") });
 * await app.start(plan);
 * reloads.started();
 * ```
 */
export class ProcessReload {
  readonly #app: App;
  readonly #options: ProcessReloadOptions;
  #pidfile: string | undefined;
  #started = false;
  #stopped = false;
  #held = false;
  #written = 0;

  /** The hook for `app`. */
  constructor(app: App, options: ProcessReloadOptions = {}) {
    this.#app = app;
    this.#options = options;
  }

  /**
   * The process holds `pidfile` now: outcomes are written beside it, and
   * one left by an earlier holder is removed (its `seq` is not ours).
   */
  holdPidfile(pidfile: string): void {
    this.#pidfile = pidfile;
    removeReloadOutcome(pidfile);
  }

  /** The process lets the pidfile go: the outcome file goes with it. */
  releasePidfile(): void {
    if (this.#pidfile !== undefined) removeReloadOutcome(this.#pidfile);
    this.#pidfile = undefined;
  }

  /** The app has started: a SIGHUP held during start-up runs now. */
  started(): void {
    this.#started = true;
    if (this.#held && !this.#stopped) {
      this.#held = false;
      this.#run().catch((error) =>
        logger.error("Reload failed: {error}", { error })
      );
    }
  }

  /**
   * Whether a SIGHUP was held during start-up; it is not held any more (a
   * supervisor of workers, which reloads its own way, takes it).
   */
  takeHeld(): boolean {
    const held = this.#held;
    this.#held = false;
    return held;
  }

  /** The stop began: a held SIGHUP is dropped (`App.stop` ends one under way). */
  stopping(): void {
    this.#stopped = true;
  }

  /**
   * SIGHUP: reopens the log files (logrotate's `postrotate` may send it),
   * then reloads, or holds the reload until the app has started.
   */
  async signal(signal: Deno.Signal): Promise<void> {
    await reopenLogFiles();
    logger.info("{signal}: log files reopened", { signal });
    if (this.#stopped) return;
    if (!this.#started) {
      this.#held = true;
      logger.info("{signal}: the reload waits until the app has started", {
        signal,
      });
      return;
    }
    logger.info("{signal}: reloading", { signal });
    await this.#run();
  }

  async #run(): Promise<void> {
    const result = await this.#app.reload();
    this.#options.onReload?.(result);
    this.#report(result);
  }

  /** Writes the outcome file, never an older outcome over a newer one. */
  #report(result: ReloadResult): void {
    const pidfile = this.#pidfile;
    if (pidfile === undefined || result.seq <= this.#written) return;
    this.#written = result.seq;
    try {
      writeReloadOutcome(pidfile, {
        seq: result.seq,
        outcome: result.outcome,
        errors: errorLines(result.errors),
        finishedAt: new Date().toISOString(),
        pid: Deno.pid,
      });
    } catch (error) {
      logger.error(
        "Cannot write the reload outcome beside {pidfile}: {error}",
        {
          pidfile,
          error,
        },
      );
    }
  }
}
