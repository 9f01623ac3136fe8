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
import { Scheduler } from "./schedule/mod.ts";
import { ConfigError, errorAt } from "./config/errors.ts";
import { getLogger, type Logging, processLogging } from "./logging.ts";
import { displayUrl, ModuleLoader, type ModuleNamespace } from "./refs.ts";
import { DEFAULT_SHUTDOWN_TIMEOUT_S } from "./settings.ts";
import { StartInterrupted, throwIfStopped, untilAborted } from "./interrupt.ts";
import type { ClusterMember, ClusterNode } from "./cluster/node.ts";
import type { AppHealth } from "./health/app_health.ts";
import type { ClusterSpec } from "./cluster/config.ts";
import { CLUSTER_SECTION } from "./cluster/section.ts";
import type { ScheduleDefinition } from "./schedule/mod.ts";
import { AioError, ConfigErrors } from "./errors.ts";
import { Coalescing } from "./reload/coalesce.ts";
import {
  RELOAD_IMPORT_TIMEOUT_MS,
  type ReloadedModules,
  type ReloadedServers,
  type ReloadResult,
} from "./reload/result.ts";

export type { LoadedModule } from "./modules.ts";
export type { Plan } from "./prepare.ts";
export type {
  ReloadedModules,
  ReloadedServers,
  ReloadResult,
} from "./reload/result.ts";

/** Options for {@linkcode App.prepare}. */
export interface AppPrepareOptions {
  /**
   * Aborts the prepare step: it throws `StartInterrupted` naming the module
   * being imported, at once, however long that import would still take.
   */
  signal?: AbortSignal;
  /** How long one module may take to import before it is a config error (ms); unset, no limit. */
  importTimeoutMs?: number;
  /**
   * Open the config's log files (default true). With false, nothing is
   * created: each log file is only checked to be openable (a problem is
   * reported at its `args` line, as when opening fails) and logging goes
   * to the stream handlers alone. For commands that only read the config.
   */
  openLogFiles?: boolean;
}

/** Options for {@linkcode App.load}. */
export type AppLoadOptions = Pick<AppPrepareOptions, "openLogFiles">;

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

/**
 * The signals that bracket each reload ({@linkcode App.reload}), in order:
 * `aio-reloading` as it begins, `aio-reloaded` once it has ended. Each
 * listener gets the app as its message; `app.lastReload` holds the outcome.
 *
 * @example Logging each reload's outcome
 * ```ts
 * import { app, RELOAD_SIGNALS } from "@aio/app";
 * const [, reloaded] = RELOAD_SIGNALS;
 * app.signals?.listen(reloaded, () => {
 *   console.log(app.lastReload?.outcome, app.lastReload?.errors.length);
 * });
 * ```
 */
export const RELOAD_SIGNALS = ["aio-reloading", "aio-reloaded"] as const;

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
  /** Where the config came from at the last prepare: what a reload reads again. */
  #source: ConfigSourceOptions | undefined;
  #reloadSource: ConfigSourceOptions | undefined;
  #reloads = new Coalescing(() => this.#reload());
  #reloadSeq = 0;
  #reloadAbort: AbortController | undefined;
  #lastReload: ReloadResult | undefined;
  /** The loader of the last failed reload: the next one starts from what it imported. */
  #failedLoader: ModuleLoader | undefined;
  /** Servers a reload removed, still draining. */
  #draining = new Set<Promise<void>>();
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

  /** The outcome of the last reload, if there was one. */
  get lastReload(): ReloadResult | undefined {
    return this.#lastReload;
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
   * @param options Whether to open the log files (default true).
   * @returns The layered config.
   * @ignore
   */
  async load(
    source: ConfigSourceOptions,
    options: AppLoadOptions = {},
  ): Promise<ConfigParser> {
    const plan = await this.#prepare(source, "modules", options);
    plan.problems.throwIfAny();
    return plan.config;
  }

  async #prepare(
    source: ConfigSourceOptions,
    stage: "modules" | "all",
    options: AppPrepareOptions = {},
  ): Promise<Plan> {
    const { signal, openLogFiles = true } = options;
    throwIfStopped(signal, () => "reading the config");
    // At exit: every record written and synced, records that could never
    // be written (a full disk) said in one line.
    this.#unregisterFlush ??= this.onBeforeExit(() => this.#logging.finish());
    const plan = await this.#prepareThrough(source, this.loader, {
      signal,
      stage,
      importTimeoutMs: options.importTimeoutMs,
      beforeImport: async (config) => {
        await this.#configureLogging(config, source, openLogFiles);
      },
      doing: "preparing the app",
    });
    const unopened = await this.#configureLogging(
      plan.config,
      source,
      openLogFiles,
    );
    if (unopened) plan.problems.error(unopened);
    this.#plan = plan;
    this.#source = source;
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
   * those: opening, or with `openFiles` false checking, finds it).
   */
  async #configureLogging(
    config: ConfigParser,
    source: ConfigSourceOptions,
    openFiles: boolean,
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
      await logging.configure(config, { openFiles });
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
    // A stop wins over a reload: its check ends at once; a switch under
    // way (short: no listener is waited for) finishes first, so the stop
    // stops what it started.
    this.#reloadAbort?.abort();
    await this.#reloads.running?.catch(() => {});
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
    // Servers a reload removed drain under their own timeout.
    const draining = Promise.all(this.#draining);
    if (Object.keys(this.servers).length > 0) {
      const { stopServers } = await import("./server/mod.ts");
      await stopServers(this.servers, timeoutMs);
    }
    await draining;
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
    this.#failedLoader = undefined;
    this.#source = undefined;
    this.#reloadSource = undefined;
    this.#lastReload = undefined;
    this.#reloadSeq = 0;
    this.#unregisterFlush?.();
    this.#unregisterFlush = undefined;
    await this.#logging.reset();
  }

  /**
   * Reloads the running app from its config, read again from `source`
   * (default: where the running config came from), without a gap:
   *
   * 1. **check**: read every layer, import the modules that changed (a
   *    fresh URL for each changed file; the others are kept, see
   *    {@linkcode ModuleLoader.successor}) and resolve every part as `aio
   *    check` does. On any problem the app runs on untouched and the
   *    result is `failed`.
   * 2. **switch**: logging is configured anew (its files reopened); servers
   *    whose binding is unchanged keep their socket, new connections and
   *    requests get the new code while open ones finish on the old; added
   *    servers start, removed ones stop accepting and drain under
   *    `shutdown_timeout`; schedules are matched by name (one whose timing
   *    is unchanged keeps its slot grid: no run lost, none doubled); the
   *    config's listeners are swapped (listeners added with
   *    `app.signals.listen` stay); `app.config`, `app.modules` and the
   *    module commands switch.
   *
   * `aio-reloading` is emitted before the check and `aio-reloaded` after the
   * switch (or the failure): each gets the app, and `app.lastReload` says how
   * it went. Reloads never overlap: one asked for while another runs runs
   * after it, once for every request made meanwhile. A stop wins: a reload
   * that is checking ends at once, `failed`.
   *
   * @param source Where the user config comes from (default: as at start).
   * @returns The outcome; it never throws.
   *
   * @example Reloading a running app
   * ```ts ignore
   * import { app, runner } from "@aio/app";
   * await runner(["run"], { configFile: "aio.conf" });
   * // ... edit aio.conf or the modules ...
   * const result = await app.reload();
   * console.log(result.outcome, result.errors.map((error) => error.message));
   * await app.clear();
   * ```
   */
  reload(source?: ConfigSourceOptions): Promise<ReloadResult> {
    if (source) this.#reloadSource = source;
    return this.#reloads.request();
  }

  async #reload(): Promise<ReloadResult> {
    const seq = ++this.#reloadSeq;
    const startedAt = performance.now();
    const source = this.#reloadSource ?? this.#source;
    const finish = (
      outcome: ReloadResult["outcome"],
      errors: Error[],
      more: Partial<ReloadResult> = {},
    ): ReloadResult =>
      this.#lastReload = {
        seq,
        outcome,
        errors,
        warnings: [],
        ...more,
        durationMs: performance.now() - startedAt,
      };
    if (!this.#running || !this.#scheduler || !source) {
      return finish("failed", [
        new AioError(
          this.#running
            ? "nothing to reload yet: the app is still starting"
            : "nothing to reload: the app is not running",
        ),
      ]);
    }
    const abort = new AbortController();
    this.#reloadAbort = abort;
    const timeoutMs = this.#shutdownTimeoutMs;
    logger.info("Reload {seq}: checking the config and the modules", { seq });
    let result: ReloadResult;
    try {
      await untilAborted(
        this.#emitLifecycle("aio-reloading", timeoutMs),
        abort.signal,
        () => "running the aio-reloading listeners",
      );
      const plan = await this.#checkReload(source, abort.signal);
      const warnings = plan.problems.sortedWarnings();
      if (plan.problems.failed) {
        this.#failedLoader = plan.loader;
        result = finish("failed", sortedErrors(plan.problems), { warnings });
      } else {
        throwIfStopped(abort.signal, () => "about to switch");
        const modules = await reloadedModules(plan.loader);
        const applied = await this.#applyReload(plan);
        result = finish(
          applied.errors.length > 0 ? "failed" : "reloaded",
          applied.errors,
          { warnings, modules, servers: applied.servers },
        );
      }
    } catch (error) {
      const reason = error instanceof StartInterrupted
        ? new AioError(`a stop came while ${error.loading}`)
        : error instanceof Error
        ? error
        : new Error(String(error));
      result = finish("failed", [reason]);
    } finally {
      this.#reloadAbort = undefined;
    }
    logReload(result);
    if (abort.signal.aborted) {
      // The stop is under way and waits for nobody: its listeners hear it
      // while the app stops.
      this.signals?.emit("aio-reloaded", this).catch(() => {});
    } else {
      await this.#emitLifecycle("aio-reloaded", this.#shutdownTimeoutMs);
    }
    return result;
  }

  /**
   * Reads the user config and prepares it through `loader` (its imports
   * bounded by `importTimeoutMs`); the config file's own problems come
   * first. A stop through `signal` says what was under way: the imports,
   * or `doing`.
   */
  async #prepareThrough(
    source: ConfigSourceOptions,
    loader: ModuleLoader,
    options: {
      signal?: AbortSignal;
      stage: "modules" | "all";
      importTimeoutMs?: number;
      beforeImport?: (config: ConfigParser) => Promise<void>;
      doing: string;
    },
  ): Promise<Plan> {
    const problems = new Problems();
    let user: UserConfig | undefined;
    problems.collect(() => user = readUserConfig(source));
    loader.importTimeoutMs = options.importTimeoutMs;
    const plan = await untilAborted(
      prepare(user, {
        loader,
        publicModule: this.publicModule,
        beforeImport: options.beforeImport,
        stage: options.stage,
        overrides: source.overrides,
      }),
      options.signal,
      () => {
        const importing = loader.importing;
        return importing.length > 0
          ? `importing ${importing.map(displayUrl).join(", ")}`
          : options.doing;
      },
    ).finally(() => loader.importTimeoutMs = undefined);
    plan.problems.errors.unshift(...problems.errors);
    return plan;
  }

  /** The check step of a reload: the new plan (with its problems), nothing of the app touched. */
  async #checkReload(
    source: ConfigSourceOptions,
    signal: AbortSignal,
  ): Promise<Plan> {
    // After a failed reload, start from what it imported: a file that has
    // not changed since is not evaluated once more.
    const loader = (this.#failedLoader ?? this.loader).successor();
    const plan = await this.#prepareThrough(source, loader, {
      signal,
      stage: "all",
      importTimeoutMs: RELOAD_IMPORT_TIMEOUT_MS,
      doing: "checking the new config",
    });
    const clusterChange = clusterChanged(this.#plan?.cluster, plan);
    if (clusterChange) plan.problems.error(clusterChange);
    if (!plan.problems.failed) {
      // What the scheduler refuses (it checks every definition before it
      // changes anything) is refused here, before the switch begins.
      const refused = (() => {
        try {
          new Scheduler().update(this.#claimed(plan.schedules));
        } catch (error) {
          return error;
        }
      })();
      if (refused instanceof Error) {
        plan.problems.error(
          new ConfigError(refused.message, {
            source: plan.userSource ?? "<config>",
          }),
        );
      }
    }
    return plan;
  }

  /**
   * The switch step of a reload. Logging first, then the servers (both can
   * fail, and then leave the app as it was), then the schedules, the
   * listeners and the app's state, which cannot.
   */
  async #applyReload(
    plan: Plan,
  ): Promise<{ errors: Error[]; servers?: ReloadedServers }> {
    const previous = this.config!;
    try {
      await this.#logging.configure(plan.config);
    } catch (error) {
      // The earlier configuration stays when configure fails.
      return { errors: [asError(error)] };
    }
    const errors: Error[] = [];
    let servers: ReloadedServers | undefined;
    if (plan.hasServers || Object.keys(this.servers).length > 0) {
      const { reconcileServers } = await import("./server/mod.ts");
      let reconciled;
      try {
        reconciled = await reconcileServers(this.servers, plan.servers, {
          shutdownTimeoutMs: plan.settings.shutdownTimeoutMs,
          observer: this.#health?.serverObserver,
        });
      } catch (error) {
        await this.#logging.configure(previous).catch(() => {});
        return { errors: [asError(error)] };
      }
      this.servers = reconciled.servers;
      const { kept, started, stopped } = reconciled;
      servers = { kept, started, stopped };
      for (const { name, error } of reconciled.failed) {
        errors.push(
          new AioError(
            `[server/${name}] the changed server did not start (${
              asError(error).message
            }); ${
              name in this.servers ? "it serves its old code" : "it is stopped"
            }`,
          ),
        );
      }
      const draining = reconciled.drained;
      this.#draining.add(draining);
      draining.finally(() => {
        this.#draining.delete(draining);
        // A removed server's series go once its last connection has.
        for (const name of stopped) {
          if (!(name in this.servers)) this.#health?.serverRemoved(name);
        }
      });
    }
    this.#scheduler!.update(this.#claimed(plan.schedules));
    this.#rewireListeners(plan.listeners);
    this.#health?.started(
      this.servers,
      plan.schedules.map((item) => item.name),
    );
    this.#plan = plan;
    this.config = plan.config;
    this.modules = plan.modules;
    this.loader = plan.loader;
    this.#failedLoader = undefined;
    this.#shutdownTimeoutMs = plan.settings.shutdownTimeoutMs;
    return { errors, servers };
  }

  /** `schedules`, those with `cluster = once` given their claim (as at start). */
  #claimed(schedules: readonly ScheduleDefinition[]): ScheduleDefinition[] {
    const cluster = this.#cluster;
    return cluster
      ? schedules.map((definition) => cluster.withClaim(definition))
      : [...schedules];
  }

  /** Swaps the config's listeners for `listeners`; listeners code added stay. */
  #rewireListeners(listeners: ResolvedListener[]): void {
    const signals = this.signals!;
    const stays = (old: ResolvedListener) =>
      listeners.some((item) =>
        item.signal === old.signal && item.listener === old.listener
      );
    for (const item of this.#attached) {
      if (!stays(item)) signals.unlisten(item.signal, item.listener);
    }
    for (const item of listeners) {
      signals.listen(item.signal, item.listener, { name: item.name });
    }
    this.#attached = listeners;
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

/**
 * A reload keeps the process's cluster connection: a changed
 * `[aio/cluster]` section (added, removed, or any option or file it names)
 * is a problem of the reload, which a restart (or a rolling reload of
 * worker processes) applies.
 */
function clusterChanged(
  running: ClusterSpec | undefined,
  plan: Plan,
): ConfigError | undefined {
  const next = plan.cluster;
  const same = (a?: ClusterSpec, b?: ClusterSpec) =>
    JSON.stringify({ ...a, source: undefined }) ===
      JSON.stringify({ ...b, source: undefined });
  if (!running && !next) return undefined;
  if (running && next && same(running, next)) return undefined;
  // With errors in the new section, those are the problems to report.
  if (!next && plan.config.has(CLUSTER_SECTION)) return undefined;
  const what = !next ? "removed" : !running ? "added" : "changed";
  const detail =
    `[${CLUSTER_SECTION}] ${what}: a reload keeps the cluster connection the process started with; restart aio (or, with workers, reload them) to apply it`;
  return next
    ? errorAt(next.source, detail)
    : new ConfigError(detail, { source: plan.userSource ?? "<config>" });
}

/** What a reload's loader did with the modules. */
async function reloadedModules(loader: ModuleLoader): Promise<ReloadedModules> {
  const modules: ReloadedModules = { reimported: [], imported: [], kept: 0 };
  for (const [url, how] of await loader.report()) {
    if (how === "kept") modules.kept++;
    else modules[how].push(url);
  }
  return modules;
}

/** The plan's errors in the order of their files and lines, as `aio check` lists them. */
function sortedErrors(problems: Problems): Error[] {
  try {
    problems.throwIfAny();
  } catch (error) {
    return error instanceof ConfigErrors ? error.errors : [asError(error)];
  }
  return [];
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** One line for the outcome, and one per problem. */
function logReload(result: ReloadResult): void {
  const seconds = (result.durationMs / 1000).toFixed(2);
  if (result.outcome === "reloaded") {
    const servers = result.servers;
    const modules = result.modules;
    const list = (items: readonly string[] | undefined) =>
      items && items.length > 0 ? items.join(", ") : "none";
    logger.info(
      "Reload {seq} done in {seconds} s. Modules: re-imported {reimported}; new {imported}; kept {kept}. Servers: kept {serversKept}; started {serversStarted}; stopped {serversStopped}",
      {
        seq: result.seq,
        seconds,
        reimported: list(modules?.reimported.map(displayUrl)),
        imported: list(modules?.imported.map(displayUrl)),
        kept: modules?.kept ?? 0,
        serversKept: list(servers?.kept),
        serversStarted: list(servers?.started),
        serversStopped: list(servers?.stopped),
      },
    );
    return;
  }
  logger.error(
    result.servers
      ? "Reload {seq} applied, but with {count} problem(s)"
      : "Reload {seq} failed ({count} problem(s)); the app runs on as it was",
    { seq: result.seq, count: result.errors.length },
  );
  for (const error of result.errors) {
    logger.error("Reload {seq}: {problem}", {
      seq: result.seq,
      problem: error.message,
    });
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
