/**
 * aio: an application runner for Deno. One INI file declares the modules
 * to import, the servers to start, the schedules to run, the signal
 * listeners to wire and the logging to set up; `aio run` does it.
 *
 * @example Running an app from a config string
 * ```ts
 * import { app, runner } from "@aio/app";
 *
 * await runner(["run"], {
 *   configString: "[schedule/tick]\nfunc = ./app.ts#tick\nevery = 1\n",
 * });
 * await app.clear();
 * ```
 *
 * @module
 */

export {
  App,
  app,
  LIFECYCLE_SIGNALS,
  type LoadedModule,
  RELOAD_SIGNALS,
  type ReloadedModules,
  type ReloadedServers,
  type ReloadResult,
} from "./src/app.ts";
export { runCli, runner, type RunnerOptions } from "./src/runner.ts";
export { ConfigParser, type GetOptions } from "./src/config/config_parser.ts";
export {
  ConfigError,
  type ConfigErrorKind,
  type ConfigErrorOptions,
  type ValueSource,
} from "./src/config/errors.ts";
export { AioError, ConfigErrors, ExitCode, UsageError } from "./src/errors.ts";
export { type Listener, type ListenOptions, Signals } from "./src/signals.ts";
export type {
  ScheduledFunction,
  ScheduleErrorCallback,
  ScheduleEvent,
  ScheduleResultCallback,
} from "./src/schedule/mod.ts";
export {
  type BindOptions,
  type ConnectionLimits,
  createServer,
  type CreateServerOptions,
  type DatagramProtocol,
  type DatagramProtocolClass,
  DatagramServer,
  type DatagramTransport,
  type FactoryOptions,
  type HttpHandler,
  HttpServer,
  type ObserverOptions,
  type Protocol,
  type ProtocolClass,
  type ProtocolServer,
  type Server,
  type ServerFactory,
  type ServerObserver,
  StreamServer,
  StreamTransport,
  type Transport,
} from "./src/server/mod.ts";
export {
  getLogger,
  type Logger,
  type LogLevelName,
  type LogMethod,
  type LogProperties,
} from "./src/logging.ts";
export type {
  ConfigOverride,
  ConfigSourceOptions,
} from "./src/config/layers.ts";
export type { ModuleNamespace } from "./src/refs.ts";
export type { ModuleCommand } from "./src/commands/types.ts";
export type { ClusterMember } from "./src/cluster/node.ts";
export type { ClusterState, ClusterStatus } from "./src/cluster/connection.ts";
export { VERSION } from "./src/version.ts";

import * as aio from "./mod.ts";
import { app } from "./src/app.ts";
import { runCli } from "./src/runner.ts";

// The app lists aio's public module first; only entry points import it.
app.publicModule ??= () => Promise.resolve(aio);

// `deno run -A jsr:@aio/app run` runs the CLI. No top-level await: modules
// the CLI imports import this file, which must have finished evaluating.
if (import.meta.main) runCli(Deno.args);
