/**
 * `aio run [-d]`: start the app, wait for a stop signal, stop it, all
 * within bounds: a stop during start-up wins (nothing further starts), and
 * the stop ends by `shutdown_timeout` + 1 s whatever the app does (a
 * watchdog thread enforces it). `-d` starts the same in the background and
 * returns once it has started or failed.
 *
 * @module
 */

import { exitAfterFlush } from "../exit.ts";
import { AioError, describeFailure, ExitCode, UsageError } from "../errors.ts";
import { StartInterrupted } from "../interrupt.ts";
import { getLogger, reopenLogFiles } from "../logging.ts";
import { installProcessSignals } from "../process_signals.ts";
import { StopWatchdog } from "../stop_watchdog.ts";
import { ProcessReload } from "../reload/process.ts";
import { DaemonChild } from "../daemon/child.ts";
import {
  aioCommand,
  type PermissionCandidates,
} from "../daemon/command_line.ts";
import { parentDir, Pidfile } from "../daemon/pidfile.ts";
import { publishClusterStatus } from "../daemon/cluster_status.ts";
import type { ConfigParser } from "../config/config_parser.ts";
import type { Plan } from "../prepare.ts";
import { absolutePath } from "../paths.ts";
import { isFileSource } from "../refs.ts";
import { DEFAULT_START_TIMEOUT_S } from "../daemon/defaults.ts";
import { MAX_WORKERS, parseWorkers, readAppSettings } from "../settings.ts";
import { buildConfig, readUserConfig } from "../config/layers.ts";
import { Problems } from "../config/problems.ts";
import type { WorkerLink } from "../workers/worker_side.ts";
import { WORKER_ENV } from "../workers/messages.ts";
import { WorkerStartFailed } from "../workers/errors.ts";
import type { Supervisor } from "../workers/supervisor.ts";
import type { Command, CommandContext } from "./types.ts";
import { parseArgs, secondsArgument } from "./_args.ts";
import { COMMAND_SPECS } from "./specs.ts";
import { MAX_TIMER_S, MIN_WAIT_S } from "../config/bounds.ts";
import type { AppNotifier } from "../systemd/app_notify.ts";
import type { SystemdNotifier } from "../systemd/notify.ts";

const logger = getLogger("aio.run");
/** How long the start waits for the stop watchdog's thread to listen (ms). */
const WATCHDOG_READY_MS = 2000;

/** The `run` command. */
export const runCommand: Command = {
  description: COMMAND_SPECS.run.summary,
  async run(args: string[], context: CommandContext): Promise<number> {
    const parsed = parseArgs(COMMAND_SPECS.run, args);
    if (!context.foreground) {
      // From the library: start, and leave the stop to the caller.
      const plan = await context.app.prepare(context.source);
      await context.app.start(plan);
      return ExitCode.OK;
    }
    const pidfile = parsed.value("--pidfile");
    const startTimeoutS = startTimeout(parsed.value("--start-timeout"));
    const workers = workersOption(parsed.value("--workers"));
    if (parsed.has("--detach")) {
      return await detach(context, { pidfile, startTimeoutS, workers });
    }
    if (parsed.has("--start-timeout")) {
      throw new UsageError("argument --start-timeout: goes with -d");
    }
    return await runInForeground(context, pidfile, workers);
  },
};

/**
 * Runs the app in this process until it is told to stop. In a daemon
 * (`AIO_PIDFILE` set by the launcher) it holds the pidfile and reports the
 * start to the launcher. With more than one worker it is their supervisor
 * (see `src/workers/`); started by one, it is a worker.
 */
async function runInForeground(
  context: CommandContext,
  pidfileOption: string | undefined,
  workersOption: number | undefined,
): Promise<number> {
  const { app } = context;
  const daemon = DaemonChild.fromEnv();
  const link = await workerLink();
  let supervisor: Supervisor | undefined;
  const stop = new AbortController();
  // Its thread boots while the modules are imported.
  const watchdog = new StopWatchdog({
    shutdownTimeoutMs: app.shutdownTimeoutMs,
  });
  watchdog.start();
  let pidfile: Pidfile | undefined;
  let unpublishCluster: (() => void) | undefined;
  let notifier: AppNotifier | undefined;
  const reloads = new ProcessReload(app, {
    // A reload may change shutdown_timeout: the stop's bound follows it.
    onReload: () =>
      watchdog.update({
        shutdownTimeoutMs: app.shutdownTimeoutMs,
        pidfile: pidfile?.path,
      }),
  });
  // First: from here on no signal an operator sends can kill aio uncleanly.
  installProcessSignals({
    stop(signal) {
      notifier?.stopping(signal);
      // Logged, as uvicorn does, so that log_level and the handlers decide
      // where it goes; a daemon's log has no Ctrl-C to offer.
      logger.info(
        daemon || link
          ? "Stopping on {signal}"
          : "Stopping on {signal}: a second Ctrl-C forces the exit",
        { signal },
      );
      watchdog.stopBegan();
      link?.stopping();
      reloads.stopping();
      stop.abort();
    },
    force() {
      console.error("aio: error: second signal during stop, exiting now");
      unpublishCluster?.();
      reloads.releasePidfile();
      pidfile?.release();
      exitAfterFlush(app, ExitCode.FAILURE);
    },
    async reopenLogs(signal) {
      supervisor?.reopenLogs();
      await reopenLogFiles();
      logger.info("{signal}: log files reopened", { signal });
    },
    // SIGHUP: reopen the log files, then reload (held until started). A
    // supervisor's reload is a rolling one; a worker's SIGHUP reopens its
    // log files only (its supervisor replaces it to reload).
    async reload() {
      if (!supervisor && !link) return await reloads.signal("SIGHUP");
      await reopenLogFiles();
      logger.info("{signal}: log files reopened", { signal: "SIGHUP" });
      await supervisor?.reload();
    },
    ignored(signal) {
      logger.warning("{signal} ignored: aio gives it no meaning", { signal });
    },
    failed(signal, error) {
      logger.error("Handling {signal} failed: {error}", { signal, error });
    },
  });
  // Signal listeners do not keep Deno's event loop alive; an app with no
  // server and no schedule must still run until it is told to stop.
  const keepAlive = setInterval(() => {}, 2 ** 30);
  let startReported = false;
  try {
    if (link) {
      await link.connect(app);
      link.gone.then(() => {
        if (stop.signal.aborted) return;
        logger.warning("Worker {slot}: the supervisor is gone; stopping", {
          slot: link.slot,
        });
        watchdog.stopBegan();
        stop.abort();
      });
    }
    if (notifySocketSet()) {
      // Loaded only under systemd (start-up is measured); before the
      // modules, so the watchdog pings cover their import.
      const { AppNotifier } = await import("../systemd/app_notify.ts");
      notifier = AppNotifier.open();
      if (stop.signal.aborted) notifier.stopping();
    }
    const path = daemon?.pidfilePath ?? pidfileOption;
    if (path !== undefined) {
      pidfile = daemon ? await daemon.acquire() : await Pidfile.acquire(path);
      reloads.holdPidfile(pidfile.path);
      watchdog.update({
        shutdownTimeoutMs: app.shutdownTimeoutMs,
        pidfile: pidfile.path,
      });
    }
    const plan = await app.prepare(context.source, { signal: stop.signal });
    if (app.signals) notifier?.watch(app.signals);
    watchdog.update({
      shutdownTimeoutMs: plan.settings.shutdownTimeoutMs,
      pidfile: pidfile?.path,
    });
    // Before anything starts: a schedule, a server or a listener may block
    // the event loop from its first run on, and the stop must stay bounded.
    await watchdog.ready(WATCHDOG_READY_MS);
    const workers = link ? 1 : workersOption ?? plan.settings.workers;
    if (workers > 1) {
      plan.problems.throwIfAny();
      supervisor = await startSupervisor(context, plan, {
        workers,
        workersOption,
        pidfile: pidfile?.path,
        notifier: notifier?.notifier,
        onShutdownTimeout: (shutdownTimeoutMs) =>
          watchdog.update({ shutdownTimeoutMs, pidfile: pidfile?.path }),
      });
      await supervisor.start(stop.signal);
      // A SIGHUP that came before the supervisor existed.
      if (reloads.takeHeld()) {
        supervisor.reload().catch((error) =>
          logger.error("Reload failed: {error}", { error })
        );
      }
    } else {
      link?.adapt(plan);
      await app.start(plan, { signal: stop.signal });
      link?.started();
      notifier?.started(app);
      if (pidfile && app.cluster) {
        // For aio status: where the connection stands.
        unpublishCluster = publishClusterStatus(pidfile.path, app.cluster);
      }
    }
    daemon?.started();
    startReported = daemon !== undefined;
    if (!supervisor) reloads.started();
    await aborted(stop.signal);
    if (supervisor) await supervisor.stop();
    else {
      await link?.release();
      await app.stop();
    }
    return ExitCode.OK;
  } catch (error) {
    if (error instanceof StartInterrupted) {
      const line = `aio: ${error.message}`;
      console.error(line);
      daemon?.failed(ExitCode.OK, line);
      await (supervisor ? supervisor.stop() : app.stop());
      return ExitCode.OK;
    }
    if (error instanceof WorkerStartFailed) {
      // The worker has printed its error (its stderr is this one).
      daemon?.failed(error.exitCode, error.text);
      return error.exitCode;
    }
    const { text, exitCode } = describeFailure(error);
    daemon?.failed(exitCode, text);
    notifier?.status(`Failed: ${text}`);
    await link?.failed(exitCode, text);
    await supervisor?.stop();
    throw error;
  } finally {
    link?.close();
    clearInterval(keepAlive);
    unpublishCluster?.();
    // Last: sends what is queued (STOPPING=1, a failure's status).
    await notifier?.close(app.signals);
    reloads.releasePidfile();
    pidfile?.release();
    // A report of a start is read by the launcher at once; one still here
    // had no reader. (A failure's report is read after this process exits.)
    if (startReported) daemon?.cleanUp();
    // The watchdog stays until the process ends: once a stop has begun, the
    // exit hooks (the log flush) are bounded by it too.
  }
}

/**
 * The supervisor of `workers` worker processes of `plan`, not yet started:
 * each runs `aio run` with this process's global options and permissions
 * (plus `--unstable-net`); a reload re-reads `[aio]` from the user config.
 */
async function startSupervisor(
  context: CommandContext,
  plan: Plan,
  options: {
    workers: number;
    workersOption: number | undefined;
    pidfile: string | undefined;
    notifier: SystemdNotifier | undefined;
    onShutdownTimeout: (ms: number) => void;
  },
): Promise<Supervisor> {
  const { supervisorFor } = await import("../workers/from_plan.ts");
  return supervisorFor(plan, {
    workers: options.workers,
    runArgs: daemonArgs(context, plan.userSource),
    candidates: await daemonNeeds(
      context,
      plan.config,
      options.pidfile ?? plan.settings.pidfile,
    ),
    pidfile: options.pidfile,
    // After the reload's check: the config file as it is now.
    readSettings: () => {
      const problems = new Problems();
      const settings = readAppSettings(
        buildConfig(readUserConfig(context.source)),
        problems,
      );
      problems.throwIfAny();
      return {
        workers: options.workersOption ?? settings.workers,
        shutdownTimeoutMs: settings.shutdownTimeoutMs,
      };
    },
    notifier: options.notifier,
    onSettings: (settings) =>
      options.onShutdownTimeout(settings.shutdownTimeoutMs),
  });
}

/**
 * `aio run -d`: prepares the app here first (a bad config is reported,
 * exit 78, before anything starts), then launches the daemon and waits.
 */
async function detach(
  context: CommandContext,
  options: { pidfile?: string; startTimeoutS: number; workers?: number },
): Promise<number> {
  const { app } = context;
  const deadline = performance.now() + options.startTimeoutS * 1000;
  const interrupted = new AbortController();
  installProcessSignals({
    stop: () => interrupted.abort(),
    force: () => exitAfterFlush(app, ExitCode.FAILURE),
  });
  const keepAlive = setInterval(() => {}, 2 ** 30);
  const timer = setTimeout(
    () => interrupted.abort(),
    Math.max(0, deadline - performance.now()),
  );
  try {
    const plan = await app.prepare(context.source, {
      signal: interrupted.signal,
    }).catch((error) => {
      if (!(error instanceof StartInterrupted)) throw error;
      throw new AioError(
        performance.now() >= deadline
          ? `the app did not load within ${options.startTimeoutS} s (still ${error.loading})`
          : `interrupted while ${error.loading}`,
      );
    });
    plan.problems.throwIfAny();
    clearTimeout(timer);
    const { settings } = plan;
    const pidfile = options.pidfile ?? settings.pidfile;
    const args = daemonArgs(context, plan.userSource);
    if (options.workers !== undefined) {
      args.push("--workers", String(options.workers));
    }
    const command = aioCommand(
      args,
      await daemonNeeds(context, plan.config, pidfile),
    );
    await app.clear();
    // Only -d needs the launcher (start-up is measured).
    const { launchDaemon } = await import("../daemon/launch.ts");
    return await launchDaemon({
      command,
      pidfile,
      daemonLog: settings.daemonLog,
      daemonLogSource: plan.config.has("aio", "daemon_log")
        ? plan.config.source("aio", "daemon_log")
        : undefined,
      deadline,
      startTimeoutS: options.startTimeoutS,
      shutdownTimeoutMs: settings.shutdownTimeoutMs,
      signal: interrupted.signal,
    });
  } finally {
    clearTimeout(timer);
    clearInterval(keepAlive);
  }
}

/**
 * The daemon's command line: `aio run` with the launcher's global options
 * (`--debug`, `--log-level`) and its config file, made absolute (`aio
 * status` shows it); the launcher's own options (`-d`, `--pidfile`,
 * `--start-timeout`) stay with it: the pidfile goes through the environment.
 */
function daemonArgs(
  context: CommandContext,
  userSource: string | undefined,
): string[] {
  const args: string[] = context.debug ? ["--debug"] : [];
  const level = context.source.overrides?.findLast((override) =>
    override.section === "aio" && override.option === "log_level"
  );
  if (level) args.push("--log-level", level.value);
  const file = context.source.configFile ?? userSource;
  if (file !== undefined && isFileSource(file)) {
    args.push("-c", absolutePath(file));
  }
  return [...args, "run"];
}

/**
 * What the daemon may need to be granted (when the launcher's own flags
 * cannot be read): what `aio permissions` works out for the app, and the
 * pidfile's directory.
 */
async function daemonNeeds(
  context: CommandContext,
  config: ConfigParser,
  pidfile: string,
): Promise<PermissionCandidates> {
  const { permissionsFor } = await import("./permissions.ts");
  const needs = permissionsFor(context.app, config);
  const directory = parentDir(absolutePath(pidfile));
  return {
    read: [...needs.read, directory],
    write: [...needs.write, directory],
    net: needs.net,
    env: needs.env,
    import: needs.import,
  };
}

/**
 * This process's link to its supervisor, when it is a worker; the link's
 * code is loaded only then (start-up is measured).
 */
async function workerLink(): Promise<WorkerLink | undefined> {
  try {
    if (Deno.env.get(WORKER_ENV) === undefined) return undefined;
  } catch {
    // Without access to it this is no worker of aio's.
    return undefined;
  }
  const { WorkerLink } = await import("../workers/worker_side.ts");
  return WorkerLink.fromEnv();
}

/** `-w N` / `--workers N`: a count, `auto`, or undefined when not given. */
function workersOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const count = parseWorkers(value);
  if (count === undefined) {
    throw new UsageError(
      `argument -w/--workers: expected a whole number from 1 to ${MAX_WORKERS}, or auto, got '${value}'`,
    );
  }
  return count;
}

function startTimeout(value: string | undefined): number {
  return secondsArgument("--start-timeout", value, {
    min: MIN_WAIT_S,
    max: MAX_TIMER_S,
  }) ?? DEFAULT_START_TIMEOUT_S;
}

/**
 * Whether systemd gave aio a notify socket. Asked without a prompt: a
 * process not granted the variable does not notify (and loads nothing).
 */
function notifySocketSet(): boolean {
  const variable = "NOTIFY_SOCKET";
  try {
    const { state } = Deno.permissions.querySync({ name: "env", variable });
    return state === "granted" && !!Deno.env.get(variable);
  } catch {
    return false;
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener("abort", () => resolve(), { once: true })
  );
}
