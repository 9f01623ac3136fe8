/**
 * The one path from a config to a runnable plan, shared by `aio run`,
 * `aio check` and reload: read the user config, stack the layers, import
 * the modules, then read and resolve every part (settings, logging,
 * listeners, schedules, servers, module commands), collecting every
 * problem on the way. Nothing starts here.
 *
 * @module
 */

import type { ConfigParser } from "./config/config_parser.ts";
import {
  buildConfig,
  type ConfigOverride,
  type ModuleDefaults,
  type UserConfig,
} from "./config/layers.ts";
import { Problems } from "./config/problems.ts";
import { sectionsWithPrefix } from "./config/sections.ts";
import { validateLogging } from "./logging.ts";
import { type ResolvedListener, resolveListeners } from "./listeners.ts";
import { type LoadedModule, loadModules } from "./modules.ts";
import {
  type ModuleCommandSpec,
  resolveModuleCommands,
} from "./module_commands.ts";
import type { ModuleLoader, ModuleNamespace } from "./refs.ts";
import { checkSectionNames } from "./section_names.ts";
import { type AppSettings, readAppSettings } from "./settings.ts";
import { type HealthSpec, readHealthSpec } from "./health/config.ts";
import { resolveSchedules, type ScheduleDefinition } from "./schedule/mod.ts";
import type { ResolvedServer } from "./server/mod.ts";
import { CLUSTER_SECTION } from "./cluster/section.ts";
import type { ClusterSpec } from "./cluster/config.ts";

/** Everything a config resolves to, ready to start; or the problems that stop it. */
export interface Plan {
  /** The layered config (built-in defaults, user config, module defaults, user config). */
  config: ConfigParser;
  /** The user config's file (or `<string>`); undefined when none was found. */
  userSource?: string;
  /** aio's own module, then the configured ones, in order. */
  modules: LoadedModule[];
  /** The loader the modules and references came through. */
  loader: ModuleLoader;
  /** `[aio]`'s settings. */
  settings: AppSettings;
  /** The `[listen/NAME]` listeners, loaded. */
  listeners: ResolvedListener[];
  /** The `[schedule/NAME]` schedules, loaded. */
  schedules: ScheduleDefinition[];
  /** Whether the config has `[server/NAME]` sections (the server layer loads only then). */
  hasServers: boolean;
  /** The `[server/NAME]` sections, their references loaded; nothing bound. */
  servers: ResolvedServer[];
  /** The `[aio/commands]` commands, loaded. */
  commands: ModuleCommandSpec[];
  /** `[aio/cluster]`, checked; undefined without the section (or with its errors). */
  cluster?: ClusterSpec;
  /** `[aio/health]`: where the health server listens; undefined without the section. */
  health?: HealthSpec;
  /** Every error and warning found; a plan with errors must not start. */
  problems: Problems;
}

/** Options for {@linkcode prepare}. */
export interface PrepareOptions {
  /** Imports the modules and references. */
  loader: ModuleLoader;
  /** Imports aio's public module (listed first in {@linkcode Plan.modules}). */
  publicModule?: () => Promise<ModuleNamespace>;
  /**
   * Called with the config of the first two layers before any module is
   * imported (so modules log as the config says): logging is set up here.
   * It must not throw; the logging sections are checked later.
   */
  beforeImport?: (config: ConfigParser) => Promise<void>;
  /** How far to go: `modules` stops after importing the modules (for commands that run none of the parts). */
  stage?: "modules" | "all";
  /** Values that win over every layer (`--log-level`). */
  overrides?: readonly ConfigOverride[];
}

/**
 * Reads the layers, imports the modules and resolves every part of
 * `user`'s config. Problems are collected in `plan.problems`, never
 * thrown; an error that is not about the config (a module that throws while
 * it is imported) is thrown.
 *
 * @example Preparing a config string
 * ```ts
 * import { prepare } from "./prepare.ts";
 * import { ModuleLoader } from "./refs.ts";
 * const plan = await prepare(
 *   { text: "[aio]\nshutdown_timeout = soon\n", source: "app.conf" },
 *   { loader: new ModuleLoader() },
 * );
 * console.log(plan.problems.errors[0].message);
 * // app.conf:2: [aio] shutdown_timeout: must be a number of seconds from 0 to 86400, not "soon"
 * ```
 */
export async function prepare(
  user: UserConfig | undefined,
  options: PrepareOptions,
): Promise<Plan> {
  const problems = new Problems();
  const { loader } = options;
  const { config, modules } = await layerConfig(user, options, problems);
  const plan: Plan = {
    config,
    userSource: user?.source,
    modules,
    loader,
    settings: readAppSettings(config, problems),
    listeners: [],
    schedules: [],
    hasServers: sectionsWithPrefix(config, "server/").length > 0,
    servers: [],
    commands: [],
    problems,
  };
  if (options.stage === "modules") return plan;
  // settings.ts has checked [aio]'s logging options, which the logging
  // sections reach through references (`level = ${aio:log_level}`). The
  // plan reports a problem with such a value about the [aio] option it
  // comes from, in the same words (logging/_names.ts): the same error,
  // which Problems keeps once. One problem, one line, however many parts
  // read the value.
  for (const error of validateLogging(config)) problems.error(error);
  checkSectionNames(config, problems);
  plan.listeners = await resolveListeners(config, loader, problems);
  plan.schedules = await resolveSchedules(config, loader, problems);
  plan.commands = await resolveModuleCommands(config, loader, problems);
  if (config.has(CLUSTER_SECTION)) {
    // Read only when present: other apps load none of the cluster layer.
    const { readClusterSpec } = await import("./cluster/config.ts");
    plan.cluster = readClusterSpec(config, problems);
  }
  plan.health = readHealthSpec(config, problems);
  if (plan.hasServers) {
    // The server layer loads only for apps that have servers: start-up
    // time is part of what aio promises.
    const { resolveServers } = await import("./server/mod.ts");
    plan.servers = await resolveServers(config, loader, problems);
  }
  return plan;
}

/** The config of every layer, and the modules imported to read their layers. */
export interface LayeredConfig {
  /** The layered config (built-in defaults, user config, module defaults, user config, overrides). */
  config: ConfigParser;
  /** aio's own module, then the configured ones, in order. */
  modules: LoadedModule[];
}

/**
 * The first step of {@linkcode prepare}, alone: stacks the user config on
 * the defaults, imports `[aio] modules` and stacks their defaults, with the
 * user config over them. Problems (a user config or module layer that does
 * not parse, a module that cannot be imported) go to `problems`. For
 * `aio config`, which shows this config and resolves nothing of it.
 *
 * @example Layering a config that lists no module
 * ```ts
 * import { layerConfig } from "./prepare.ts";
 * import { Problems } from "./config/problems.ts";
 * import { ModuleLoader } from "./refs.ts";
 * const problems = new Problems();
 * const { config } = await layerConfig(
 *   { text: "[aio]\nlog_level = DEBUG\n", source: "app.conf" },
 *   { loader: new ModuleLoader() },
 *   problems,
 * );
 * console.log(config.source("aio", "log_level")); // { file: "app.conf", line: 2 }
 * ```
 */
export async function layerConfig(
  user: UserConfig | undefined,
  options: Pick<
    PrepareOptions,
    "loader" | "publicModule" | "beforeImport" | "overrides"
  >,
  problems: Problems,
): Promise<LayeredConfig> {
  const overrides = options.overrides ?? [];
  const first = layered(user, [], problems, overrides);
  await options.beforeImport?.(first);
  const { modules, layers } = await loadModules(first, options.loader, {
    userSource: user?.source,
    publicModule: options.publicModule,
    problems,
  });
  const config = layers.length > 0
    ? layered(user, layers, problems, overrides)
    : first;
  return { config, modules };
}

/**
 * The layers stacked; a layer that does not parse is reported and left
 * out (the user config's own problems come first, from its first read).
 */
function layered(
  user: UserConfig | undefined,
  modules: readonly ModuleDefaults[],
  problems: Problems,
  overrides: readonly ConfigOverride[],
): ConfigParser {
  const sound = modules.filter((layer) =>
    problems.collect(() => buildConfig(undefined, [layer])) !== undefined
  );
  return problems.collect(() => buildConfig(user, sound, overrides)) ??
    buildConfig(undefined, sound, overrides);
}
