/**
 * The daemon's side of `aio run -d`: the launcher starts `aio run` again
 * with `AIO_PIDFILE` set; that process takes the pidfile's lock and tells
 * the launcher how its start went through a small file beside the
 * pidfile, `PIDFILE.PID.start` (written whole, by rename):
 *
 * - `started` once `aio-started` has been emitted;
 * - `failed CODE` and the error's lines when it cannot start.
 *
 * The launcher reads and removes it.
 *
 * @module
 */

import { absolutePath } from "../paths.ts";
import { Pidfile } from "./pidfile.ts";

/**
 * Set by the launcher in the daemon's environment: the pidfile it must
 * hold, as the user named it (the daemon runs in the launcher's working
 * directory).
 */
export const PIDFILE_ENV = "AIO_PIDFILE";

/** The file through which the daemon with `pid` reports its start. */
export function startReportPath(pidfile: string, pid: number): string {
  return `${pidfile}.${pid}.start`;
}

/** What a daemon reported about its start. */
export type StartReport =
  | { outcome: "started" }
  | { outcome: "failed"; exitCode: number; text: string };

/** Parses a start report's text; undefined while it holds nothing whole. */
export function parseStartReport(text: string): StartReport | undefined {
  if (text === "started\n") return { outcome: "started" };
  const match = /^failed (\d+)\n([\s\S]*)$/.exec(text);
  if (!match) return undefined;
  return {
    outcome: "failed",
    exitCode: Number(match[1]),
    text: match[2].replace(/\n$/, ""),
  };
}

/**
 * The daemon process's handle on its launcher: undefined unless this
 * process was started by `aio run -d`.
 */
export class DaemonChild {
  /** The pidfile to hold, as the user named it. */
  readonly pidfilePath: string;
  readonly #reportPath: string;
  #reported = false;

  private constructor(pidfilePath: string) {
    this.pidfilePath = pidfilePath;
    this.#reportPath = startReportPath(absolutePath(pidfilePath), Deno.pid);
  }

  /** This process's handle, when `AIO_PIDFILE` says it is a daemon. */
  static fromEnv(): DaemonChild | undefined {
    let path: string | undefined;
    try {
      path = Deno.env.get(PIDFILE_ENV);
      // Processes the app starts are not this daemon.
      if (path !== undefined) Deno.env.delete(PIDFILE_ENV);
    } catch {
      // Without env access this is no daemon of aio's (its launcher has it).
    }
    return path ? new DaemonChild(path) : undefined;
  }

  /** Takes the pidfile (throws `AlreadyRunning` when another daemon holds it). */
  acquire(): Promise<Pidfile> {
    return Pidfile.acquire(this.pidfilePath);
  }

  /** Tells the launcher the app has started. */
  started(): void {
    this.#report("started\n");
  }

  /** Tells the launcher the start failed with `exitCode`, and why (`text`, `aio: ...` lines). */
  failed(exitCode: number, text: string): void {
    this.#report(`failed ${exitCode}\n${text}\n`);
  }

  /** Removes a report nobody read (the launcher was gone). */
  cleanUp(): void {
    try {
      Deno.removeSync(this.#reportPath);
    } catch {
      // Read and removed by the launcher, as it should be.
    }
  }

  #report(text: string): void {
    if (this.#reported) return;
    this.#reported = true;
    const temporary = `${this.#reportPath}.tmp`;
    try {
      Deno.writeTextFileSync(temporary, text, { mode: 0o644 });
      Deno.renameSync(temporary, this.#reportPath);
    } catch {
      // The launcher then goes by the exit code and the log.
    }
  }
}
