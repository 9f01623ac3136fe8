/**
 * The app: its state (config, signals, modules, servers) and its life
 * cycle (prepare, start, stop, clear). One app per process, shared through
 * `globalThis` so every copy of the library sees the same one.
 *
 * @module
 */

import type { ConfigParser } from "./config/config_parser.ts";
import {
  buildConfig,
  type ConfigSourceOptions,
  readUserConfig,
  type UserConfig,
} from "./config/layers.ts";
import { Problems } from "./config/problems.ts";
import { Signals } from "./signals.ts";
import type { Server } from "./server/mod.ts";
import type { LoadedModule } from "./modules.ts";
import { type Plan, prepare } from "./prepare.ts";
import type { ResolvedListener } from "./listeners.ts";
import { type ScheduleDefinition, Scheduler } from "./schedule/mod.ts";
import { ConfigError } from "./config/errors.ts";
import { getLogger, type Logging, processLogging } from "./logging.ts";
import { displayUrl, ModuleLoader, type ModuleNamespace } from "./refs.ts";
import { DEFAULT_SHUTDOWN_TIMEOUT_S } from "./settings.ts";
import { throwIfStopped, untilAborted } from "./interrupt.ts";
import type { ClusterMember, ClusterNode } from "./cluster/node.ts";
import type { AppHealth } from "./health/app_health.ts";

export type { LoadedModule } from "./modules.ts";
export type { Plan } from "./prepare.ts";

/** Options for {@linkcode App.prepare}. */
export interface AppPrepareOptions {
  /**
   * Aborts the prepare step: it throws `StartInterrupted` naming the module
   * being imported, at once, however long that import would still take.
   */
  signal?: AbortSignal;
  /** How long one module may take to import before it is a config error (ms); unset, no limit. */
  importTimeoutMs?: number;
}

/** Options for {@linkcode App.start}. */
export interface AppStartOptions {
  /**
   * Aborts the start: nothing further starts, `aio-started` is not
   * emitted, and it throws `StartInterrupted` naming what was loading (the
   * `aio-starting` listeners, or the server being bound). What started is
   * left running for {@linkcode App.stop}, which winds it down.
   */
  signal?: AbortSignal;
}

/**
 * The built-in lifecycle signals, in the order a run emits them. Each
 * listener gets the app as its message.
 *
 * @example Listening to every lifecycle signal
 * ```ts
 * import { app, LIFECYCLE_SIGNALS } from "@aio/app";
 * for (const signal of LIFECYCLE_SIGNALS) {
 *   app.signals?.listen(signal, (name) => console.log(name));
 * }
 * ```
 */
export const LIFECYCLE_SIGNALS = [
  "aio-starting",
  "aio-started",
  "aio-stopping",
  "aio-stopped",
] as const;

const logger = getLogger("aio.app");
/** The least time `aio-stopped`'s listeners get, even when the wind-down used the whole deadline. */
const STOPPED_GRACE_MS = 250;
/** The least time the cluster's bridge and connection get to close, even past the deadline. */
const CLUSTER_CLOSE_MIN_MS = 250;

/**
 * aio's application state. Use the shared {@linkcode app} instance.
 *
 * @example Starting and clearing the app
 * ```ts
 * import { app, runner } from "@aio/app";
 * await runner(["run"], { configString: "[aio]\nlog_level = WARNING\n" });
 * console.log(app.modules.length); // 1: aio's own module
 * await app.clear();
 * ```
 */
export class App {
  /** The loaded config, or null until a command has loaded one. */
  config: ConfigParser | null = null;
  /** The app's signals, or null until a command has loaded the config. */
  signals: Signals | null = null;
  /** aio's own module first, then the configured ones, in order. */
  modules: readonly LoadedModule[] = [];
  /** Each running server by its name (the part after `server/`). */
  servers: Record<string, Server> = {};
  /**
   * Imports aio's public module (`mod.ts`, listed first in
   * {@linkcode App.modules}). The entry points set it: they may import
   * mod.ts, which nothing under `src/` does.
   */
  publicModule?: () => Promise<ModuleNamespace>;
  /**
   * Imports the modules and references of the loaded config, each once.
   * aio's own plumbing, not part of the public API.
   *
   * @ignore
   */
  loader: ModuleLoader = new ModuleLoader();
  #plan: Plan | undefined;
  #scheduler: Scheduler | undefined;
  #cluster: ClusterNode | undefined;
  #health: AppHealth | undefined;
  #attached: ResolvedListener[] = [];
  #running = false;
  #shutdownTimeoutMs = DEFAULT_SHUTDOWN_TIMEOUT_S * 1000;
  #exitHooks = new Set<() => Promise<void> | void>();
  #unregisterFlush: (() => void) | undefined;
  // Logging's files, loggers and exit flush (LogTape is configured per
  // process, so this is the process's one).
  #logging: Logging = processLogging();

  /** Whether the app has started and not yet stopped. */
  get running(): boolean {
    return this.#running;
  }

  /**
   * This process's place in the cluster (`[aio/cluster]`) while the app
   * runs with one: the NATS connection's `status`, and `ready()` for
   * listeners added while running. Undefined otherwise.
   */
  get cluster(): ClusterMember | undefined {
    return this.#cluster;
  }

  /**
   * The `[aio/health]` server and aio's metrics, from the start until the
   * stop has ended; undefined without `[aio/health]`. A reload passes its
   * `serverObserver` to `reconcileServers`.
   *
   * @ignore
   */
  get health(): AppHealth | undefined {
    return this.#health;
  }

  /** How many schedules run now (for status lines). */
  get scheduleCount(): number {
    return this.#scheduler?.size ?? 0;
  }

  /** `[aio] shutdown_timeout` in milliseconds (default 10 s), as the last prepare read it. */
  get shutdownTimeoutMs(): number {
    return this.#shutdownTimeoutMs;
  }

  /**
   * Reads the config (all four layers), sets up logging and imports the
   * modules, and resolves every part (listeners, schedules, servers,
   * commands), starting nothing: what `aio run` and `aio check` share.
   * Config problems are collected in the plan's `problems`, not thrown.
   *
   * @param source Where the user config comes from.
   * @param options A signal that aborts it; a bound on each import.
   * @returns The plan; {@linkcode App.start} runs it.
   * @ignore
   */
  async prepare(
    source: ConfigSourceOptions,
    options: AppPrepareOptions = {},
  ): Promise<Plan> {
    return await this.#prepare(source, "all", options);
  }

  /**
   * Reads the config, sets up logging and imports the modules, and throws
   * the problems found on the way: what commands that run no part need.
   *
   * @param source Where the user config comes from.
   * @returns The layered config.
   * @ignore
   */
  async load(source: ConfigSourceOptions): Promise<ConfigParser> {
    const plan = await this.#prepare(source, "modules");
    plan.problems.throwIfAny();
    return plan.config;
  }

  async #prepare(
    source: ConfigSourceOptions,
    stage: "modules" | "all",
    options: AppPrepareOptions = {},
  ): Promise<Plan> {
    const { signal } = options;
    const loader = this.loader;
    throwIfStopped(signal, () => "reading the config");
    let user: UserConfig | undefined;
    const problems = new Problems();
    problems.collect(() => user = readUserConfig(source));
    // At exit: every record written and synced, records that could never
    // be written (a full disk) said in one line.
    this.#unregisterFlush ??= this.onBeforeExit(() => this.#logging.finish());
    loader.importTimeoutMs = options.importTimeoutMs;
    const plan = await untilAborted(
      prepare(user, {
        loader,
        publicModule: this.publicModule,
        beforeImport: async (config) => {
          await this.#configureLogging(config, source);
        },
        stage,
        overrides: source.overrides,
      }),
      signal,
      () => {
        const importing = loader.importing;
        return importing.length > 0
          ? `importing ${importing.map(displayUrl).join(", ")}`
          : "preparing the app";
      },
    ).finally(() => loader.importTimeoutMs = undefined);
    plan.problems.errors.unshift(...problems.errors);
    const unopened = await this.#configureLogging(plan.config, source);
    if (unopened) plan.problems.error(unopened);
    this.#plan = plan;
    this.config = plan.config;
    this.modules = plan.modules;
    this.signals ??= new Signals();
    this.#shutdownTimeoutMs = plan.settings.shutdownTimeoutMs;
    return plan;
  }

  /**
   * Sets logging up from `config`, or from the built-in defaults when its
   * logging sections are at fault (they are reported with the rest).
   * Returns the error of a log file that could not be opened (not one of
   * those: opening is the only way to find it).
   */
  async #configureLogging(
    config: ConfigParser,
    source: ConfigSourceOptions,
  ): Promise<ConfigError | undefined> {
    const logging = this.#logging;
    const defaults = () =>
      logging.configure(buildConfig(undefined, [], source.overrides), {
        loggingConf: null,
      });
    if (logging.validate(config).length > 0) {
      await defaults();
      return undefined;
    }
    try {
      await logging.configure(config);
      return undefined;
    } catch (error) {
      await defaults();
      if (error instanceof ConfigError) return error;
      throw error;
    }
  }

  /**
   * Starts the prepared app: listeners, the cluster (`[aio/cluster]`:
   * connect, bridge the signals), `aio-starting`, servers, schedules,
   * `aio-started`. Throws the plan's problems, if it has any, before
   * anything starts; if a server fails to start, what already started is
   * stopped.
   *
   * @param plan The plan to start (default: the last one prepared).
   * @param options A signal that stops the start where it is.
   * @ignore
   */
  async start(
    plan: Plan | undefined = this.#plan,
    options: AppStartOptions = {},
  ): Promise<void> {
    if (!plan || !this.signals) {
      throw new Error("The app must be prepared before it starts");
    }
    plan.problems.throwIfAny();
    const { signal } = options;
    throwIfStopped(signal, () => "about to start");
    const signals = this.signals;
    if (plan.health) {
      // Before aio-starting: /healthz answers (and /readyz says 503) while
      // the app starts. Only then is any metrics code loaded.
      const { AppHealth } = await import("./health/app_health.ts");
      this.#health = AppHealth.start(plan.health, signals);
    }
    for (const item of plan.listeners) {
      signals.listen(item.signal, item.listener, { name: item.name });
    }
    this.#attached = plan.listeners;
    if (plan.cluster) {
      // After the listeners: the bridge subscribes to what they listen to.
      const spec = plan.cluster;
      const { ClusterNode, redactUrl } = await import("./cluster/mod.ts");
      this.#cluster = await untilAborted(
        ClusterNode.join(spec, signals),
        signal,
        () => `connecting to NATS at ${spec.urls.map(redactUrl).join(", ")}`,
        (late) => late.close(CLUSTER_CLOSE_MIN_MS),
      );
    }
    const health = this.#health;
    if (health && plan.cluster) {
      // Read at each scrape; the cluster's own code stays unloaded here.
      const { registerClusterMetrics } = await import("./cluster/metrics.ts");
      registerClusterMetrics(health.metrics.registry, () => this.#cluster);
    }
    const scheduler = new Scheduler(health ? { onRun: health.onRun } : {});
    for (const definition of plan.schedules) {
      scheduler.add(this.#cluster?.withClaim(definition) ?? definition);
    }
    this.#running = true;
    await untilAborted(
      this.#emitLifecycle("aio-starting"),
      signal,
      () => "running the aio-starting listeners",
    );
    try {
      if (plan.hasServers) {
        const { startServers } = await import("./server/mod.ts");
        this.servers = await startServers(plan.servers, {
          shutdownTimeoutMs: this.#shutdownTimeoutMs,
          observer: health?.serverObserver,
          signal,
        });
      }
    } catch (error) {
      // A stop that came while binding leaves the app running for stop()
      // (aio-starting's listeners get aio-stopping); a failure does not.
      if (!signal?.aborted) {
        this.#running = false;
        await this.#leaveCluster(performance.now());
        await this.#closeHealth();
      }
      throw error;
    }
    throwIfStopped(signal, () => "starting the schedules");
    this.#scheduler = scheduler;
    scheduler.start();
    health?.started(this.servers, plan.schedules.map((item) => item.name));
    logger.info("Started: {servers} server(s), {schedules} schedule(s)", {
      servers: Object.keys(this.servers).length,
      schedules: scheduler.size,
    });
    await this.#emitLifecycle("aio-started");
    if (this.#running) health?.readiness.ready();
  }

  /**
   * Replaces the running app's schedules with `definitions`, matched by
   * name as {@linkcode Scheduler.update} does (kept ones keep their slots).
   * A worker process takes its dead sibling's schedules over with it.
   *
   * @returns False when no scheduler runs (not started, or stopping).
   * @ignore
   */
  updateSchedules(definitions: readonly ScheduleDefinition[]): boolean {
    if (!this.#scheduler) return false;
    this.#scheduler.update(definitions);
    return true;
  }

  /**
   * Stops a running app: emits `aio-stopping` while the schedules stop
   * (running ones get their abort signal) and the servers stop accepting and
   * let open connections finish, all within one `shutdown_timeout`; then
   * leaves the cluster (its signal bridge, then its connection) and emits
   * `aio-stopped`.
   */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#health?.readiness.draining();
    const timeoutMs = this.shutdownTimeoutMs;
    logger.info("Stopping (shutdown_timeout {seconds} s)", {
      seconds: timeoutMs / 1000,
    });
    // The wind-down shares one deadline: aio-stopping's listeners, running
    // schedules and open connections all get until shutdown_timeout, and the
    // servers stop accepting at once rather than after the listeners.
    const deadline = performance.now() + timeoutMs;
    const scheduler = this.#scheduler;
    this.#scheduler = undefined;
    await Promise.all([
      this.#emitLifecycle("aio-stopping", timeoutMs),
      scheduler?.stop(timeoutMs),
      this.#stopServers(timeoutMs),
    ]);
    this.servers = {};
    // After the scheduler and the servers, which may still emit.
    await this.#leaveCluster(deadline);
    const left = Math.max(deadline - performance.now(), STOPPED_GRACE_MS);
    await this.#emitLifecycle("aio-stopped", left);
    // Last: /healthz and /metrics answer through the whole stop.
    await this.#closeHealth();
    logger.info("Stopped");
  }

  async #closeHealth(): Promise<void> {
    const health = this.#health;
    this.#health = undefined;
    await health?.close(this.signals);
  }

  async #stopServers(timeoutMs: number): Promise<void> {
    if (Object.keys(this.servers).length === 0) return;
    const { stopServers } = await import("./server/mod.ts");
    await stopServers(this.servers, timeoutMs);
  }

  /** Closes the cluster's bridge, then its connection, by `deadline` (or just after). */
  async #leaveCluster(deadline: number): Promise<void> {
    const node = this.#cluster;
    this.#cluster = undefined;
    await node?.close(
      Math.max(deadline - performance.now(), CLUSTER_CLOSE_MIN_MS),
    );
  }

  /** Stops whatever runs and returns the app to its initial state. */
  async clear(): Promise<void> {
    await this.stop();
    // A start that failed after joining the cluster left it open, and the
    // health server with it.
    await this.#leaveCluster(performance.now());
    await this.#closeHealth();
    for (const item of this.#attached) {
      this.signals?.unlisten(item.signal, item.listener);
    }
    this.#attached = [];
    this.#plan = undefined;
    this.config = null;
    this.signals?.clear();
    this.signals = null;
    this.modules = [];
    this.servers = {};
    this.loader = new ModuleLoader();
    this.#unregisterFlush?.();
    this.#unregisterFlush = undefined;
    await this.#logging.reset();
  }

  /**
   * Registers `hook` to run before the CLI exits (logging registers its
   * flush); returns a function that unregisters it.
   */
  onBeforeExit(hook: () => Promise<void> | void): () => void {
    this.#exitHooks.add(hook);
    return () => this.#exitHooks.delete(hook);
  }

  /** Runs every exit hook; a hook that fails does not stop the others. */
  async runExitHooks(): Promise<void> {
    for (const hook of [...this.#exitHooks]) {
      try {
        await hook();
      } catch {
        // A failed flush must not turn a clean exit into a crash.
      }
    }
  }

  /** Emits a lifecycle signal; listener errors are logged, and a hung listener is not waited for past `timeoutMs`. */
  async #emitLifecycle(signal: string, timeoutMs?: number): Promise<void> {
    const emitting = this.signals!.emit(signal, this).catch(() => {
      // Each failing listener was logged by Signals; the life cycle goes on.
    });
    if (timeoutMs === undefined) {
      await emitting;
      return;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), timeoutMs);
    });
    const result = await Promise.race([emitting, deadline]);
    clearTimeout(timer);
    if (result === "late") {
      logger.warn(
        "Listeners of {signal} still running after {seconds} s; going on",
        { signal, seconds: timeoutMs / 1000 },
      );
    }
  }
}

const APP_KEY = Symbol.for("aio.app");

/**
 * The process's one app, shared by every copy of the library through
 * `globalThis`.
 *
 * @example A module reaching the running app
 * ```ts
 * import { app } from "@aio/app";
 * export async function tick(): Promise<void> {
 *   await app.signals?.emit("tick", Date.now());
 *   console.log(Object.keys(app.servers));
 * }
 * ```
 */
export const app: App =
  ((globalThis as Record<symbol, App | undefined>)[APP_KEY] ??= new App());
