/**
 * The app: its state (config, signals, modules, servers) and its life
 * cycle (load, start, stop, clear). One app per process, shared through
 * `globalThis` so every copy of the library sees the same one.
 *
 * @module
 */

import type { ConfigParser } from "./config/config_parser.ts";
import { ConfigError, errorAt } from "./config/errors.ts";
import {
  buildConfig,
  type ConfigSourceOptions,
  readUserConfig,
} from "./config/layers.ts";
import { ConfigErrors } from "./errors.ts";
import { sectionsWithPrefix } from "./config/sections.ts";
import { Signals } from "./signals.ts";
import type { Server } from "./server/mod.ts";
import { type LoadedModule, loadModules } from "./modules.ts";
import { attachListeners } from "./listeners.ts";
import { armSchedules, type ScheduleSet } from "./schedules.ts";
import {
  configureLogging,
  flushLogging,
  getLogger,
  resetLogging,
} from "./logging.ts";
import { ModuleLoader, type ModuleNamespace } from "./refs.ts";
import { onBeforeExit } from "./exit.ts";

export type { LoadedModule } from "./modules.ts";

/** The built-in lifecycle signals, in the order a run emits them. */
export const LIFECYCLE_SIGNALS = [
  "aio-starting",
  "aio-started",
  "aio-stopping",
  "aio-stopped",
] as const;

const logger = getLogger("aio.app");
/** The least time `aio-stopped`'s listeners get, even when the wind-down used the whole deadline. */
const STOPPED_GRACE_MS = 250;
/** `[aio] shutdown_timeout` when the config has none. */
const DEFAULT_SHUTDOWN_TIMEOUT_S = 10;

/**
 * `[aio] shutdown_timeout` in milliseconds: a non-negative number of
 * seconds. A bad value goes to `errors` (so `run` and `check` report it up
 * front, not at the stop) and the default is used.
 */
export function readShutdownTimeout(
  config: ConfigParser,
  errors: ConfigError[],
): number {
  try {
    const seconds = config.getFloat("aio", "shutdown_timeout", {
      fallback: DEFAULT_SHUTDOWN_TIMEOUT_S,
    });
    if (seconds >= 0 && Number.isFinite(seconds)) return seconds * 1000;
    errors.push(errorAt(
      config.source("aio", "shutdown_timeout"),
      `[aio] shutdown_timeout must be a number of seconds, 0 or more, not ${seconds}`,
    ));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    errors.push(error);
  }
  return DEFAULT_SHUTDOWN_TIMEOUT_S * 1000;
}

/**
 * aio's application state. Use the shared {@linkcode app} instance.
 *
 * @example
 * ```ts ignore
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
  #schedules: ScheduleSet | undefined;
  #running = false;
  #shutdownTimeoutMs = DEFAULT_SHUTDOWN_TIMEOUT_S * 1000;
  #unregisterFlush: (() => void) | undefined;

  /** Whether the app has started and not yet stopped. */
  get running(): boolean {
    return this.#running;
  }

  /**
   * Loads the config (all four layers), configures logging and imports the
   * modules. Starts nothing. Throws ConfigError / ConfigErrors on bad config.
   */
  async load(source: ConfigSourceOptions): Promise<ConfigParser> {
    const user = readUserConfig(source);
    let config = buildConfig(user);
    await configureLogging(config);
    this.#unregisterFlush ??= onBeforeExit(flushLogging);
    const { modules, layers } = await loadModules(config, this.loader, {
      userSource: user?.source,
      publicModule: this.publicModule,
    });
    if (layers.length > 0) {
      config = buildConfig(user, layers);
      await configureLogging(config);
    }
    this.config = config;
    this.modules = modules;
    this.signals = new Signals();
    return config;
  }

  /**
   * Starts a loaded app: listeners, `aio-starting`, servers, schedules,
   * `aio-started`. If anything fails, what already started is stopped.
   */
  async start(): Promise<void> {
    const config = this.config;
    const signals = this.signals;
    if (!config || !signals) {
      throw new Error("The app must be loaded before it starts");
    }
    // Every config problem is found before anything starts, and reported
    // together, as `aio check` reports them.
    const errors: ConfigError[] = [];
    this.#shutdownTimeoutMs = readShutdownTimeout(config, errors);
    await attachListeners(config, signals, this.loader, errors);
    const schedules = await armSchedules(config, this.loader, errors);
    // The server layer loads only for apps that have servers: start-up
    // time is part of what aio promises.
    const serverLayer = sectionsWithPrefix(config, "server/").length > 0
      ? await import("./server/mod.ts")
      : undefined;
    if (serverLayer) {
      errors.push(...await serverLayer.checkServers(config, this.loader));
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new ConfigErrors(errors);
    this.#running = true;
    await this.#emitLifecycle("aio-starting");
    try {
      if (serverLayer) {
        this.servers = await serverLayer.startServers(config, this.loader, {
          shutdownTimeoutMs: this.#shutdownTimeoutMs,
        });
      }
    } catch (error) {
      this.#running = false;
      throw error;
    }
    this.#schedules = schedules;
    schedules.start();
    logger.info("Started: {servers} server(s), {schedules} schedule(s)", {
      servers: Object.keys(this.servers).length,
      schedules: schedules.size,
    });
    await this.#emitLifecycle("aio-started");
  }

  /** `[aio] shutdown_timeout` in milliseconds (default 10 s), as read at start. */
  get shutdownTimeoutMs(): number {
    return this.#shutdownTimeoutMs;
  }

  /**
   * Stops a running app: emits `aio-stopping` while the schedules stop
   * (running ones get their abort signal) and the servers stop accepting and
   * let open connections finish, all within one `shutdown_timeout`; then
   * emits `aio-stopped`.
   */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    const timeoutMs = this.shutdownTimeoutMs;
    logger.info("Stopping (shutdown_timeout {seconds} s)", {
      seconds: timeoutMs / 1000,
    });
    // The wind-down shares one deadline: aio-stopping's listeners, running
    // schedules and open connections all get until shutdown_timeout, and the
    // servers stop accepting at once rather than after the listeners.
    const deadline = performance.now() + timeoutMs;
    const schedules = this.#schedules;
    this.#schedules = undefined;
    await Promise.all([
      this.#emitLifecycle("aio-stopping", timeoutMs),
      schedules?.stop(timeoutMs),
      this.#stopServers(timeoutMs),
    ]);
    this.servers = {};
    const left = Math.max(deadline - performance.now(), STOPPED_GRACE_MS);
    await this.#emitLifecycle("aio-stopped", left);
    logger.info("Stopped");
  }

  async #stopServers(timeoutMs: number): Promise<void> {
    if (Object.keys(this.servers).length === 0) return;
    const { stopServers } = await import("./server/mod.ts");
    await stopServers(this.servers, timeoutMs);
  }

  /** Stops whatever runs and returns the app to its initial state. */
  async clear(): Promise<void> {
    await this.stop();
    this.config = null;
    this.signals?.clear();
    this.signals = null;
    this.modules = [];
    this.servers = {};
    this.loader = new ModuleLoader();
    this.#unregisterFlush?.();
    this.#unregisterFlush = undefined;
    await resetLogging();
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
        {
          signal,
          seconds: timeoutMs / 1000,
        },
      );
    }
  }
}

const APP_KEY = Symbol.for("aio.app");

/** The process's one app, shared by every copy of the library through `globalThis`. */
export const app: App =
  ((globalThis as Record<symbol, App | undefined>)[APP_KEY] ??= new App());
