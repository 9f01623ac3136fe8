/**
 * The launcher's side of `aio run -d`: refuse while the pidfile is held,
 * start the daemon in its own process group with its output appended to
 * the daemon log, and wait, within a bound, until it reports that it has
 * started (exit 0) or failed (its error lines and exit code), or exits.
 * A daemon that does not start in time is stopped; so is one whose
 * launcher is interrupted: no process is left behind by a launch that did
 * not succeed.
 *
 * @module
 */

import { AioError, ExitCode } from "../errors.ts";
import { errorAt, type ValueSource } from "../config/errors.ts";
import { LOG_FILE_MODE } from "../logging.ts";
import { absolutePath } from "../paths.ts";
import {
  parseStartReport,
  PIDFILE_ENV,
  type StartReport,
  startReportPath,
} from "./child.ts";
import { AlreadyRunning, parentDir, PidfileProbe } from "./pidfile.ts";

/** How often the launcher looks for the daemon's report (ms). */
const POLL_MS = 50;
/** What a stopped daemon gets beyond its own bound (shutdown_timeout + 1 s) before the launcher gives up on it (ms). */
const STOP_MARGIN_MS = 2000;

/** What {@linkcode launchDaemon} needs. */
export interface LaunchOptions {
  /** The program and arguments of the daemon (`aio run` without `-d`). */
  command: string[];
  /** The pidfile. */
  pidfile: string;
  /** The daemon log. */
  daemonLog: string;
  /**
   * Where the config sets `[aio] daemon_log`, if it does: a log that cannot
   * be opened is then a config error at that line (exit 78).
   */
  daemonLogSource?: ValueSource;
  /** When to give up waiting for the start (a `performance.now()` time). */
  deadline: number;
  /** The start timeout as the user gave it, for messages (s). */
  startTimeoutS: number;
  /** `[aio] shutdown_timeout` (ms): how long a daemon told to stop may take. */
  shutdownTimeoutMs: number;
  /** Aborts the wait (Ctrl-C on the launcher): the daemon is stopped. */
  signal: AbortSignal;
}

/**
 * Starts the daemon and waits for its report.
 *
 * @returns 0 once it has started.
 * @throws {AioError} With the daemon's exit code when it failed, 1 when it
 * was already running, did not start in time or was interrupted.
 */
export async function launchDaemon(options: LaunchOptions): Promise<number> {
  const { pidfile, daemonLog } = options;
  const probe = await PidfileProbe.open(pidfile);
  probe.close();
  if (probe.state.state === "running") {
    throw new AlreadyRunning(pidfile, probe.state.pid);
  }
  const logOffset = await openDaemonLog(daemonLog, options.daemonLogSource);
  const [program, ...args] = options.command;
  const child = new Deno.Command("sh", {
    // The log's path is an argument, never part of the script.
    args: [
      "-c",
      'log=$1; shift; exec "$@" >>"$log" 2>&1',
      "sh",
      daemonLog,
      program,
      ...args,
    ],
    env: { [PIDFILE_ENV]: pidfile },
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  const reportPath = startReportPath(absolutePath(pidfile), child.pid);
  const outcome = await waitForOutcome(child, reportPath, options);
  removeQuietly(reportPath);
  if (outcome.kind === "started") {
    child.unref();
    console.log(
      `aio: started in the background: pid ${child.pid}, pidfile ${pidfile}, output in ${daemonLog}`,
    );
    return ExitCode.OK;
  }
  if (outcome.kind === "failed") {
    const { report, code } = outcome;
    if (report?.outcome !== "failed") {
      // It could not report (its pidfile's directory is unusable, say): its
      // error lines are in what it wrote to the log.
      for (const line of errorLinesSince(daemonLog, logOffset)) {
        console.error(line);
      }
      throw new AioError(
        `the daemon (pid ${child.pid}) exited with code ${code} before it started; see ${daemonLog}`,
        { exitCode: code || ExitCode.FAILURE },
      );
    }
    if (report.text) console.error(report.text);
    // 0: it was stopped during its start-up (by someone's SIGTERM): no start.
    return report.exitCode || ExitCode.FAILURE;
  }
  const why = outcome.kind === "timeout"
    ? `did not start within ${options.startTimeoutS} s`
    : "was interrupted while starting";
  console.error(`aio: the daemon (pid ${child.pid}) ${why}; stopping it`);
  const stopped = await stopChild(child, options.shutdownTimeoutMs);
  const report = readReport(reportPath);
  removeQuietly(reportPath);
  if (report?.outcome === "failed" && report.text) console.error(report.text);
  throw new AioError(
    stopped
      ? `the daemon ${why}; it was stopped (see ${daemonLog})`
      : `the daemon ${why} and did not stop: pid ${child.pid} may still run`,
  );
}

/** The most error lines relayed from the daemon log. */
const MAX_RELAYED_LINES = 20;
/** The most bytes of the daemon log read for them. */
const MAX_RELAYED_BYTES = 64 * 1024;

/**
 * Creates the daemon log (and its directory) if missing and returns its
 * size, where what the daemon writes will begin. Created here, not by the
 * shell's `>>`, so its mode does not depend on the umask.
 *
 * @throws {ConfigError} at `source` when the config names a log that cannot
 *   be opened; {@linkcode AioError} for the default one
 */
async function openDaemonLog(
  path: string,
  source: ValueSource | undefined,
): Promise<number> {
  try {
    await Deno.mkdir(parentDir(absolutePath(path)), { recursive: true });
    using file = await Deno.open(path, {
      append: true,
      create: true,
      mode: LOG_FILE_MODE,
    });
    return (await file.stat()).size;
  } catch (error) {
    // A permission aio lacks keeps its own message (and its hint).
    if (error instanceof Deno.errors.NotCapable) throw error;
    const reason = (error instanceof Error ? error.message : String(error))
      .replace(/ \(os error \d+\)/, "");
    if (source) {
      throw errorAt(
        source,
        `[aio] daemon_log: cannot open '${path}': ${reason}`,
      );
    }
    throw new AioError(`cannot open the daemon log ${path}: ${reason}`);
  }
}

/**
 * The error lines the daemon wrote to its log after `offset`: aio's own
 * (`aio: ...`) and Deno's (`error: ...`), the last
 * {@linkcode MAX_RELAYED_LINES} of them.
 */
function errorLinesSince(path: string, offset: number): string[] {
  let text: string;
  try {
    using file = Deno.openSync(path, { read: true });
    const size = file.statSync().size;
    const start = Math.max(offset, size - MAX_RELAYED_BYTES);
    file.seekSync(start, Deno.SeekMode.Start);
    const bytes = new Uint8Array(size - start);
    let read = 0;
    while (read < bytes.length) {
      const count = file.readSync(bytes.subarray(read));
      if (count === null) break;
      read += count;
    }
    text = new TextDecoder().decode(bytes.subarray(0, read));
  } catch {
    return [];
  }
  return text.split("\n")
    .filter((line) => /^(aio: |error: )/.test(line))
    .slice(-MAX_RELAYED_LINES);
}

type Outcome =
  | { kind: "started" }
  | { kind: "failed"; code: number; report: StartReport | undefined }
  | { kind: "timeout" }
  | { kind: "interrupted" };

async function waitForOutcome(
  child: Deno.ChildProcess,
  reportPath: string,
  options: LaunchOptions,
): Promise<Outcome> {
  let exited: number | undefined;
  child.status.then((status) => exited = status.code);
  while (true) {
    const report = readReport(reportPath);
    if (report?.outcome === "started") return { kind: "started" };
    if (exited !== undefined) {
      // A failed daemon writes its report just before it exits.
      return { kind: "failed", code: exited, report: readReport(reportPath) };
    }
    if (options.signal.aborted) return { kind: "interrupted" };
    if (performance.now() >= options.deadline) return { kind: "timeout" };
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** SIGTERM, then wait for the exit within the daemon's own bound plus a margin. */
async function stopChild(
  child: Deno.ChildProcess,
  shutdownTimeoutMs: number,
): Promise<boolean> {
  try {
    child.kill("SIGTERM");
  } catch {
    return true; // Already gone.
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(
      () => resolve(false),
      shutdownTimeoutMs + 1000 + STOP_MARGIN_MS,
    );
  });
  const done = await Promise.race([child.status.then(() => true), late]);
  clearTimeout(timer);
  return done;
}

function readReport(path: string): StartReport | undefined {
  try {
    return parseStartReport(Deno.readTextFileSync(path));
  } catch {
    return undefined;
  }
}

function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path);
  } catch {
    // Not there.
  }
}
