/**
 * The `[aio]` section: the settings of the app as a whole.
 *
 * @module
 */

import type { ConfigParser } from "./config/config_parser.ts";
import type { Problems } from "./config/problems.ts";
import { SectionReader } from "./config/section_reader.ts";
import { DEFAULT_DAEMON_LOG, DEFAULT_PIDFILE } from "./daemon/defaults.ts";
import { levelProblem, notDefined } from "./logging/_names.ts";

export { DEFAULT_DAEMON_LOG, DEFAULT_PIDFILE } from "./daemon/defaults.ts";

/** The options `[aio]` may hold. */
export const AIO_OPTIONS: readonly string[] = [
  "modules",
  "log_level",
  "log_handlers",
  "log_file",
  "shutdown_timeout",
  "pidfile",
  "daemon_log",
  "workers",
];

/** `[aio] shutdown_timeout` when the config has none. */
export const DEFAULT_SHUTDOWN_TIMEOUT_S = 10;

/**
 * The longest `[aio] shutdown_timeout`: a day. No drain sensibly takes
 * longer, and the waits built on it (the stop watchdog's, `aio stop`'s,
 * `aio reload`'s twice it plus 15 s) stay far inside what a timer holds.
 */
export const MAX_SHUTDOWN_TIMEOUT_S = 86_400;

/** What `[aio]` says about the app as a whole. */
export interface AppSettings {
  /** `[aio] shutdown_timeout` in milliseconds: how long a stop may take. */
  shutdownTimeoutMs: number;
  /** `[aio] pidfile`: the pidfile of `aio run -d`, `aio stop` and `aio status` (relative to the working directory). */
  pidfile: string;
  /** `[aio] daemon_log`: where `aio run -d` sends the app's output (relative to the working directory). */
  daemonLog: string;
  /**
   * `[aio] workers`: how many worker processes `aio run` starts (`auto`:
   * one per core). 1, the default, runs the app in the `aio run` process
   * itself; more makes that process a supervisor.
   */
  workers: number;
}

/** The most worker processes `[aio] workers` or `aio run -w` may ask for. */
export const MAX_WORKERS = 1024;

/**
 * A workers value (`[aio] workers`, `aio run -w`): a whole number from 1
 * to {@linkcode MAX_WORKERS}, or `auto` for one per core; undefined when
 * it is neither.
 *
 * @example
 * ```ts
 * import { parseWorkers } from "./settings.ts";
 * parseWorkers("4"); // 4
 * parseWorkers("auto"); // navigator.hardwareConcurrency
 * parseWorkers("0"); // undefined
 * ```
 */
export function parseWorkers(text: string): number | undefined {
  const value = text.trim().toLowerCase();
  if (value === "auto") {
    return Math.min(
      Math.max(1, navigator.hardwareConcurrency || 1),
      MAX_WORKERS,
    );
  }
  if (!/^\d+$/.test(value)) return undefined;
  const count = Number(value);
  return count >= 1 && count <= MAX_WORKERS ? count : undefined;
}

/**
 * Reads `[aio]`, reporting each problem (and each unknown option) to
 * `problems`; a bad value falls back to its default. The logging options
 * (`log_level`, `log_handlers`, `log_file`) are checked here, at the
 * user's line, though the logging sections are what use them (through
 * `${aio:log_level}` and the like).
 *
 * @example
 * ```ts
 * import { ConfigParser } from "./config/config_parser.ts";
 * import { Problems } from "./config/problems.ts";
 * import { readAppSettings } from "./settings.ts";
 * const config = new ConfigParser().readString("[aio]\nshutdown_timeout = 2.5\n");
 * console.log(readAppSettings(config, new Problems()).shutdownTimeoutMs); // 2500
 * ```
 */
export function readAppSettings(
  config: ConfigParser,
  problems: Problems,
): AppSettings {
  const reader = new SectionReader(config, "aio", problems, {
    known: AIO_OPTIONS,
  });
  // 0 is a stop that cuts everything at once: no wait, so no 1 ms floor.
  const seconds = reader.seconds("shutdown_timeout", {
    min: 0,
    max: MAX_SHUTDOWN_TIMEOUT_S,
  }) ?? DEFAULT_SHUTDOWN_TIMEOUT_S;
  const path = (option: string, fallback: string) => {
    const value = reader.string(option);
    if (value === undefined) return fallback;
    if (value === "") {
      reader.error(option, "is empty; it should be a file path");
      return fallback;
    }
    return value;
  };
  const pidfile = path("pidfile", DEFAULT_PIDFILE);
  const daemonLog = path("daemon_log", DEFAULT_DAEMON_LOG);
  const workers = readWorkers(reader);
  checkLogging(reader, config);
  if (config.has("aio")) reader.checkUnknown();
  return { shutdownTimeoutMs: seconds * 1000, pidfile, daemonLog, workers };
}

function readWorkers(reader: SectionReader): number {
  const text = reader.string("workers");
  if (text === undefined) return 1;
  const count = parseWorkers(text);
  if (count === undefined) {
    reader.error(
      "workers",
      `must be a whole number from 1 to ${MAX_WORKERS}, or auto (one per core), not ${
        JSON.stringify(text)
      }`,
    );
    return 1;
  }
  return count;
}

/**
 * `log_level` a level name, each of `log_handlers` a handler with a
 * `[handler_NAME]` section, and all three free of broken references.
 * Checked whether or not the logging sections use them: they are the
 * app's settings.
 */
function checkLogging(reader: SectionReader, config: ConfigParser): void {
  const level = reader.string("log_level");
  const problem = level === undefined ? undefined : levelProblem(level);
  if (problem) reader.error("log_level", problem);
  const handlers = reader.string("log_handlers");
  for (const name of handlers?.split(",") ?? []) {
    const handler = name.trim();
    if (handler && !config.has(`handler_${handler}`)) {
      reader.error("log_handlers", notDefined("handler", handler));
    }
  }
  // Whether the file can be opened is found where it is opened (when a
  // handler writes to it), and reported as `[aio] log_file` too.
  reader.string("log_file");
}
