/**
 * The supervisor of `aio run` with workers: it starts N worker processes,
 * restarts one that dies (with backoff), moves the one-worker parts to
 * another worker when their owner dies or is replaced, replaces the workers
 * one at a time on a reload, and stops them all within one
 * `shutdown_timeout`.
 *
 * @module
 */

import type { HealthSpec, ReadinessPhase } from "../health/mod.ts";
import { untilAborted } from "../interrupt.ts";
import { getLogger } from "../logging.ts";
import type { LabelledExposition } from "../metrics/mod.ts";
import type { SystemdNotifier } from "../systemd/notify.ts";
import {
  errorLines,
  removeReloadOutcome,
  RUNTIME_ERROR_PREFIX,
  writeReloadOutcome,
} from "../daemon/reload_outcome.ts";
import {
  removeWorkersState,
  writeWorkersState,
} from "../daemon/workers_state.ts";
import { Backoff, type BackoffOptions } from "./backoff.ts";
import { outcomeLine, runCheck } from "./check.ts";
import { settlesWithin } from "../server/_deadline.ts";
import { ControlServer, type HelloedChannel } from "./control_server.ts";
import { MIGRATE_SYSCTL, migratesQueuedConnections } from "./kernel.ts";
import type { WorkerMessage } from "./messages.ts";
import { WorkerStartFailed } from "./errors.ts";
import { SupervisorObservability } from "./observability.ts";
import { spawnWorker } from "./spawn.ts";
import {
  describeExit,
  type StartOutcome,
  WorkerProcess,
} from "./worker_process.ts";

const logger = getLogger("aio.workers");

/** How long a metrics scrape waits for each worker's page (ms). */
const METRICS_TIMEOUT_MS = 2000;
/** How long a reload waits for a new worker to start (ms): systemd's default start timeout. */
const RELOAD_START_TIMEOUT_MS = 90_000;
/** How long after its `shutdown_timeout` a stopping worker still gets before SIGKILL (ms). */
const DRAIN_KILL_MARGIN_MS = 2000;
/** How long the stop waits for killed workers to be gone (ms): well inside the watchdog's second past `shutdown_timeout`. */
const KILL_WAIT_MS = 500;
/** How long a worker's own stop waits before its parts move, in case the supervisor is stopping too (ms). */
const GROUP_SIGNAL_GRACE_MS = 100;
/** How often the state file is rewritten at most for memory figures alone (ms). */
const STATE_REFRESH_MS = 2000;

/** The settings a reload may change. */
export interface SupervisorSettings {
  /** How many workers. */
  workers: number;
  /** `[aio] shutdown_timeout` (ms). */
  shutdownTimeoutMs: number;
}

/** What a {@linkcode Supervisor} needs. */
export interface SupervisorOptions extends SupervisorSettings {
  /** The command that runs one worker (`aio run`). */
  command: readonly string[];
  /** The command that checks the config before a reload (`aio check`). */
  checkCommand: readonly string[];
  /** The shared servers with `port = 0`: one worker picks their ports before the others start. */
  portZero: readonly string[];
  /** How many servers share their port across the workers. */
  sharedServers?: number;
  /** The pidfile (absolute), when there is one: the state and reload files go beside it. */
  pidfile?: string;
  /** `[aio/health]`, served by the supervisor. */
  health?: HealthSpec;
  /** The notifier `aio run` opened when `NOTIFY_SOCKET` is set. */
  notifier?: SystemdNotifier;
  /** The settings after a reload's check passed (read from the config again). */
  readSettings: () => SupervisorSettings;
  /** Told the settings whenever they change (the stop watchdog's bound). */
  onSettings?: (settings: SupervisorSettings) => void;
  /** What `STATUS=` adds after the worker count (`2 servers, 1 schedule`). */
  summary?: string;
  /** The restart delays. */
  backoff?: BackoffOptions;
}

interface Slot {
  id: number;
  /** The worker that serves this slot (the newest one, during a rolling reload). */
  current: WorkerProcess | undefined;
  restarts: number;
  backoff: Backoff;
  restartTimer: ReturnType<typeof setTimeout> | undefined;
  /** A rolling reload is starting this slot's replacement: no restart meanwhile. */
  replacing: boolean;
}

/**
 * Runs N workers of one app.
 *
 * @example
 * ```ts ignore
 * import { Supervisor } from "./supervisor.ts";
 * const supervisor = new Supervisor({ workers: 2, shutdownTimeoutMs: 10_000, ... });
 * await supervisor.start(stop.signal);
 * await aborted(stop.signal);
 * await supervisor.stop();
 * ```
 */
export class Supervisor {
  readonly #options: SupervisorOptions;
  #settings: SupervisorSettings;
  #slots: Slot[] = [];
  readonly #processes = new Set<WorkerProcess>();
  readonly #byToken = new Map<string, WorkerProcess>();
  readonly #ports: Record<string, number> = {};
  readonly #anchors: Record<string, number> = {};
  #owner: WorkerProcess | undefined;
  #control: ControlServer | undefined;
  #observability: SupervisorObservability | undefined;
  #generation = 0;
  #started = false;
  #stopping = false;
  #stopped: Promise<void> | undefined;
  #reloading: Promise<void> | undefined;
  #reloadAgain = false;
  #reloadSeq = 0;
  #stateWrittenAt = -Infinity;
  readonly #since = new Date();

  /** A supervisor; nothing starts before {@linkcode Supervisor.start}. */
  constructor(options: SupervisorOptions) {
    this.#options = options;
    this.#settings = {
      workers: options.workers,
      shutdownTimeoutMs: options.shutdownTimeoutMs,
    };
  }

  /** The health server's address, when `[aio/health]` is set. */
  get healthAddr(): Deno.NetAddr | undefined {
    return this.#observability?.healthAddr;
  }

  /**
   * Opens the control socket and the health server, starts the workers and
   * waits until each has started. Throws {@linkcode WorkerStartFailed}
   * when one fails (the others are stopped), `StartInterrupted`
   * when `signal` aborts first (call {@linkcode Supervisor.stop} then).
   */
  async start(signal?: AbortSignal): Promise<void> {
    const pidfile = this.#options.pidfile;
    if (pidfile) removeReloadOutcome(pidfile);
    this.#control = ControlServer.open();
    this.#control.serve((hello) => this.#onHello(hello));
    this.#observability = await SupervisorObservability.open({
      health: this.#options.health,
      notifier: this.#options.notifier,
      phase: () => this.#phase(),
      workerPages: () => this.#workerPages(),
    });
    const health = this.#observability.healthAddr;
    if (health) {
      logger.info("Health server listening on {address}", {
        address: `${health.hostname}:${health.port}`,
      });
    }
    const count = this.#settings.workers;
    this.#slots = Array.from(
      { length: count },
      (_, index) => newSlot(index + 1, this.#options.backoff),
    );
    logger.info("Starting {count} workers", { count });
    if (this.#options.sharedServers && migratesQueuedConnections() === false) {
      logger.warn(
        "{sysctl} is 0: connections queued on a worker's socket as it stops (a rolling reload, a restart) are reset; set it to 1 (sysctl -w {sysctl}=1, Linux 5.14+)",
        { sysctl: MIGRATE_SYSCTL },
      );
    }
    const waits: Promise<StartOutcome>[] = [];
    for (const slot of this.#slots) {
      const worker = this.#spawn(slot, slot.id === 1);
      slot.current = worker;
      const started = worker.waitStarted();
      waits.push(started);
      if (slot.id === 1 && this.#options.portZero.length > 0) {
        // The others take the ports this one picks.
        const outcome = await this.#orStop(started, signal, 0);
        if (!outcome.ok) break;
      }
    }
    const failed = await this.#orStop(firstFailure(waits), signal, count);
    if (failed) {
      logger.error("A worker could not start: stopping the others");
      await this.stop();
      throw new WorkerStartFailed(failed.exitCode, failed.text);
    }
    this.#started = true;
    this.#observability.ready(this.#statusLine());
    this.#writeState();
  }

  /**
   * Stops every worker: SIGTERM to each, a wait of `shutdown_timeout`
   * for all of them together, SIGKILL for any left. Idempotent.
   */
  stop(): Promise<void> {
    return this.#stopped ??= this.#stop();
  }

  /**
   * A rolling reload: checks the config in a child `aio check` first (a
   * bad one changes nothing), then, one slot at a time, starts a new worker,
   * waits for its start and drains the old one; so the capacity never
   * drops. A reload asked for during one runs after it.
   */
  reload(): Promise<void> {
    if (this.#reloading) {
      this.#reloadAgain = true;
      return this.#reloading;
    }
    const run = async () => {
      do {
        this.#reloadAgain = false;
        await this.#rollingReload();
      } while (this.#reloadAgain && !this.#stopping);
    };
    return this.#reloading = run().finally(() => this.#reloading = undefined);
  }

  /** Passes SIGUSR1 (reopen the log files) on to every worker. */
  reopenLogs(): void {
    for (const worker of this.#processes) worker.kill("SIGUSR1");
  }

  async #stop(): Promise<void> {
    this.#stopping = true;
    for (const slot of this.#slots) clearTimeout(slot.restartTimer);
    const live = [...this.#processes];
    const timeoutMs = this.#settings.shutdownTimeoutMs;
    logger.info("Stopping {count} workers (shutdown_timeout {seconds} s)", {
      count: live.length,
      seconds: timeoutMs / 1000,
    });
    for (const worker of live) {
      worker.stopRequested = true;
      if (worker.phase !== "exited") worker.phase = "draining";
      worker.send({ type: "final" });
      worker.kill("SIGTERM");
    }
    const all = Promise.all(live.map((worker) => worker.exited));
    if (!await settlesWithin(all, timeoutMs)) {
      const left = live.filter((worker) => worker.phase !== "exited");
      logger.warn(
        "{count} worker(s) still running after shutdown_timeout ({seconds} s): killing pid {pids}",
        {
          count: left.length,
          seconds: timeoutMs / 1000,
          pids: left.map((worker) => worker.pid).join(", "),
        },
      );
      for (const worker of left) worker.kill("SIGKILL");
      await settlesWithin(all, KILL_WAIT_MS);
    }
    this.#control?.close();
    if (this.#options.pidfile) removeWorkersState(this.#options.pidfile);
    await this.#observability?.close();
  }

  #spawn(slot: Slot, owner: boolean): WorkerProcess {
    const token = crypto.randomUUID();
    const child = spawnWorker({
      command: this.#options.command,
      marker: {
        slot: slot.id,
        port: this.#control!.port,
        token,
        owner,
        ports: { ...this.#ports },
      },
    });
    const worker = new WorkerProcess(slot.id, token, this.#generation, child);
    this.#processes.add(worker);
    this.#byToken.set(token, worker);
    if (owner) this.#owner = worker;
    logger.debug("Worker {slot} spawned: pid {pid}", {
      slot: slot.id,
      pid: worker.pid,
    });
    worker.exited.then((status) => this.#onExit(worker, slot, status));
    this.#writeState();
    return worker;
  }

  #onHello({ token, channel, messages }: HelloedChannel): void {
    const worker = this.#byToken.get(token);
    if (!worker) {
      channel.close();
      return;
    }
    this.#byToken.delete(token);
    const ended = (async () => {
      for await (const message of messages) this.#onMessage(worker, message);
    })();
    worker.attach(channel, ended);
  }

  #onMessage(worker: WorkerProcess, message: WorkerMessage): void {
    switch (message.type) {
      case "started": {
        for (const [name, port] of Object.entries(message.ports)) {
          this.#ports[name] ??= port;
        }
        worker.markStarted(message.rss);
        logger.info("Worker {slot} started: pid {pid}", {
          slot: worker.slot,
          pid: worker.pid,
        });
        if (!this.#owner && !this.#stopping && worker.serving) {
          this.#giveOwnership(worker);
        }
        this.#changed();
        break;
      }
      case "failed":
        worker.failure = { exitCode: message.exitCode, text: message.text };
        break;
      case "stopping":
        worker.stopReported = true;
        if (worker.phase !== "exited") worker.phase = "draining";
        this.#changed();
        break;
      case "released":
        if (this.#owner === worker) this.#handOverSoon(worker);
        break;
      case "owned":
        for (const [name, port] of Object.entries(message.ports)) {
          this.#ports[name] ??= port;
        }
        logger.debug(
          "Worker {slot} runs the one-worker parts: servers {servers}, schedules {schedules}",
          {
            slot: worker.slot,
            servers: message.servers.join(", ") || "none",
            schedules: message.schedules.join(", ") || "none",
          },
        );
        break;
      case "slot":
        if (this.#owner === worker) {
          this.#anchors[message.schedule] = message.at;
        }
        break;
      case "metrics":
        worker.answered(message.id, message.text);
        break;
      case "stats":
        worker.rss = message.rss;
        if (performance.now() - this.#stateWrittenAt >= STATE_REFRESH_MS) {
          this.#writeState();
        }
        break;
    }
  }

  #onExit(worker: WorkerProcess, slot: Slot, status: Deno.CommandStatus): void {
    this.#processes.delete(worker);
    this.#byToken.delete(worker.token);
    if (this.#owner === worker) this.#handOverSoon(worker);
    const crashed = !worker.stopRequested && !this.#stopping;
    if (!crashed) {
      logger.info("Worker {slot} (pid {pid}) {exit}", {
        slot: worker.slot,
        pid: worker.pid,
        exit: describeExit(status),
      });
    }
    if (slot.current === worker) {
      slot.current = undefined;
      // A worker that dies during the start before its own start counts
      // as a failed start (start() reports it); one that had started is
      // restarted.
      const restart = this.#started || worker.startedAt !== undefined;
      if (crashed && restart && this.#slots.includes(slot)) {
        this.#restartLater(slot, worker, status);
      }
    }
    this.#changed();
  }

  #restartLater(
    slot: Slot,
    worker: WorkerProcess,
    status: Deno.CommandStatus,
  ): void {
    slot.restarts++;
    this.#observability?.workerRestarted();
    const delay = slot.backoff.next(worker.upMs());
    logger.error(
      "Worker {slot} (pid {pid}) {exit}; restarting it in {seconds} s",
      {
        slot: slot.id,
        pid: worker.pid,
        exit: describeExit(status),
        seconds: delay / 1000,
      },
    );
    if (slot.replacing) return;
    clearTimeout(slot.restartTimer);
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      if (this.#stopping || slot.current || !this.#slots.includes(slot)) {
        return;
      }
      slot.current = this.#spawn(slot, false);
    }, delay);
  }

  /**
   * Hands over at once when the supervisor let `from` go, or it died
   * without stopping; when it stopped on its own, a moment later: a stop signal sent to the whole process group (Ctrl-C)
   * reaches the workers and the supervisor together, and a stop needs no
   * new owner.
   */
  #handOverSoon(from: WorkerProcess): void {
    this.#owner = undefined;
    if (from.stopRequested || !from.stopReported) {
      this.#handOver(from);
      return;
    }
    setTimeout(() => {
      if (!this.#owner) this.#handOver(from);
    }, GROUP_SIGNAL_GRACE_MS);
  }

  /** Moves the one-worker parts from `from` (dead, or letting go) to another serving worker, if any. */
  #handOver(from: WorkerProcess): void {
    this.#owner = undefined;
    if (this.#stopping) return;
    const candidates = [...this.#processes].filter((worker) =>
      worker !== from && worker.serving
    ).sort((a, b) => b.generation - a.generation || a.slot - b.slot);
    if (candidates.length === 0) {
      logger.warn(
        "No worker to take over the one-worker parts of worker {slot}; the next one to start will",
        { slot: from.slot },
      );
      return;
    }
    this.#giveOwnership(candidates[0]);
  }

  #giveOwnership(worker: WorkerProcess): void {
    this.#owner = worker;
    logger.info("Worker {slot} (pid {pid}) runs the one-worker parts now", {
      slot: worker.slot,
      pid: worker.pid,
    });
    worker.send({
      type: "own",
      anchors: { ...this.#anchors },
      ports: { ...this.#ports },
    });
    this.#writeState();
  }

  async #rollingReload(): Promise<void> {
    if (this.#stopping) return;
    const seq = ++this.#reloadSeq;
    if (!this.#started) {
      this.#reloadDone(seq, [
        `${RUNTIME_ERROR_PREFIX}aio is still starting: reload once it has started`,
      ]);
      return;
    }
    logger.info("Reloading: checking the config");
    this.#observability?.reloading("Reloading: checking the config");
    const check = await runCheck(this.#options.checkCommand);
    if (!check.ok) {
      for (const error of check.errors) {
        logger.error("Reload refused: {error}", { error });
      }
      this.#reloadDone(seq, check.errors);
      return;
    }
    let settings: SupervisorSettings;
    try {
      settings = this.#options.readSettings();
    } catch (error) {
      this.#reloadDone(seq, errorLines([error]));
      return;
    }
    this.#settings = settings;
    this.#options.onSettings?.(settings);
    this.#generation++;
    const errors: string[] = [];
    const kept = this.#slots.filter((slot) => slot.id <= settings.workers);
    for (const slot of kept) {
      if (this.#stopping) break;
      const failure = await this.#replace(slot);
      if (failure) {
        errors.push(failure);
        break;
      }
    }
    if (errors.length === 0 && !this.#stopping) {
      for (const slot of this.#slots.filter((s) => s.id > settings.workers)) {
        this.#retire(slot);
      }
      for (let id = this.#slots.length + 1; id <= settings.workers; id++) {
        const slot = newSlot(id, this.#options.backoff);
        this.#slots.push(slot);
        const failure = await this.#replace(slot);
        if (failure) {
          errors.push(failure);
          break;
        }
      }
    }
    if (this.#stopping && errors.length === 0) {
      errors.push(
        `${RUNTIME_ERROR_PREFIX}aio is stopping: the reload was not finished`,
      );
    }
    this.#reloadDone(seq, errors);
  }

  /** Starts a new worker for `slot`, then drains the old one; returns why not, if it could not. */
  async #replace(slot: Slot): Promise<string | undefined> {
    clearTimeout(slot.restartTimer);
    slot.restartTimer = undefined;
    slot.replacing = true;
    const fresh = this.#spawn(slot, false);
    const outcome = await fresh.waitStarted(RELOAD_START_TIMEOUT_MS);
    slot.replacing = false;
    if (!outcome.ok || this.#stopping) {
      fresh.stopRequested = true;
      fresh.kill(outcome.ok ? "SIGTERM" : "SIGKILL");
      if (!slot.current && !this.#stopping) {
        slot.current = this.#spawn(slot, false);
      }
      return outcome.ok ? undefined : firstLineOf(outcome.text);
    }
    const old = slot.current;
    slot.current = fresh;
    if (old) this.#drain(old);
    return undefined;
  }

  /** Takes `slot` out (fewer workers after a reload): its worker drains. */
  #retire(slot: Slot): void {
    clearTimeout(slot.restartTimer);
    this.#slots = this.#slots.filter((s) => s !== slot);
    if (slot.current) this.#drain(slot.current);
    slot.current = undefined;
  }

  /** Tells `worker` to stop (SIGTERM); kills it if it outlives its own bound. */
  #drain(worker: WorkerProcess): void {
    worker.stopRequested = true;
    if (worker.phase !== "exited") worker.phase = "draining";
    worker.kill("SIGTERM");
    const timer = setTimeout(() => {
      if (worker.kill("SIGKILL")) {
        logger.warn("Worker {slot} (pid {pid}) did not stop in time: killed", {
          slot: worker.slot,
          pid: worker.pid,
        });
      }
    }, this.#settings.shutdownTimeoutMs + DRAIN_KILL_MARGIN_MS);
    worker.exited.then(() => clearTimeout(timer));
    this.#changed();
  }

  #reloadDone(seq: number, errors: string[]): void {
    const ok = errors.length === 0;
    if (ok) {
      logger.info("Reloaded: {count} new workers", {
        count: this.#slots.length,
      });
    } else {
      logger.error("Reload failed: {error}", { error: errors.join("; ") });
    }
    this.#observability?.reloaded(ok);
    this.#observability?.ready(this.#statusLine());
    const pidfile = this.#options.pidfile;
    if (pidfile) {
      try {
        writeReloadOutcome(pidfile, {
          seq,
          outcome: ok ? "reloaded" : "failed",
          errors,
          finishedAt: new Date().toISOString(),
          pid: Deno.pid,
        });
      } catch (error) {
        logger.error(
          "Cannot write the reload outcome beside {pidfile}: {error}",
          { pidfile, error },
        );
      }
    }
    this.#writeState();
  }

  #phase(): ReadinessPhase {
    if (this.#stopping) return "draining";
    return [...this.#processes].some((worker) => worker.serving)
      ? "ready"
      : "starting";
  }

  async #workerPages(): Promise<LabelledExposition[]> {
    const serving = this.#slots.map((slot) => slot.current).filter((
      worker,
    ): worker is WorkerProcess => worker?.serving === true);
    const pages = await Promise.all(
      serving.map((worker) => worker.metrics(METRICS_TIMEOUT_MS)),
    );
    return serving.flatMap((worker, index) => {
      const text = pages[index];
      return text === undefined ? [] : [{ text, worker: String(worker.slot) }];
    });
  }

  #statusLine(): string {
    const serving = [...this.#processes].filter((worker) => worker.serving)
      .length;
    const summary = this.#options.summary ? `, ${this.#options.summary}` : "";
    return `${serving}/${this.#slots.length} workers running${summary}`;
  }

  #changed(): void {
    if (this.#started && !this.#stopping) {
      this.#observability?.status(this.#statusLine());
    }
    this.#writeState();
  }

  #writeState(): void {
    const pidfile = this.#options.pidfile;
    if (!pidfile || this.#stopped) return;
    this.#stateWrittenAt = performance.now();
    const workers = [...this.#processes].sort((a, b) =>
      a.slot - b.slot || a.spawnedAt - b.spawnedAt
    );
    writeWorkersState(pidfile, {
      pid: Deno.pid,
      since: this.#since.toISOString(),
      rss: Deno.memoryUsage().rss,
      updatedAt: new Date().toISOString(),
      workers: workers.map((worker) => ({
        slot: worker.slot,
        pid: worker.pid,
        state: worker.phase === "exited" ? "draining" : worker.phase,
        since: worker.since.toISOString(),
        restarts: this.#slots.find((slot) => slot.id === worker.slot)
          ?.restarts ?? 0,
        ...(worker.rss !== undefined && { rss: worker.rss }),
        owner: this.#owner === worker,
      })),
    });
  }

  /** `promise`, unless `signal` aborts first: then `StartInterrupted`. */
  async #orStop<T>(
    promise: Promise<T>,
    signal: AbortSignal | undefined,
    waitingFor: number,
  ): Promise<T> {
    if (!signal) return await promise;
    return await untilAborted(promise, signal, () => {
      const started = [...this.#processes].filter((w) => w.startedAt).length;
      return `starting workers (${started} of ${
        waitingFor || this.#slots.length
      } started)`;
    });
  }
}

/** The first failed start among `waits`, or undefined once all have started. */
function firstFailure(
  waits: readonly Promise<StartOutcome>[],
): Promise<Extract<StartOutcome, { ok: false }> | undefined> {
  return new Promise((resolve) => {
    let left = waits.length;
    if (left === 0) resolve(undefined);
    for (const wait of waits) {
      wait.then((outcome) => {
        if (!outcome.ok) resolve(outcome);
        else if (--left === 0) resolve(undefined);
      });
    }
  });
}

function newSlot(id: number, options?: BackoffOptions): Slot {
  return {
    id,
    current: undefined,
    restarts: 0,
    backoff: new Backoff(options),
    restartTimer: undefined,
    replacing: false,
  };
}

/** The first line of a worker's failure, as a reload outcome holds it. */
function firstLineOf(text: string): string {
  return outcomeLine(
    text.split("\n").find((part) => part.trim() !== "") ?? text,
  );
}
