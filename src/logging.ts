/**
 * Logging from the config file: the `[loggers]`, `[handlers]` and
 * `[formatters]` sections of Python's `logging.config.fileConfig` layout,
 * turned into a LogTape configuration.
 *
 * - `[loggers]`, `[handlers]`, `[formatters]` `keys` fill themselves from
 *   the `logger_*`, `handler_*` and `formatter_*` sections present; keys
 *   written out by the user are honoured.
 * - Loggers: `level`, `handlers` (a comma list), `qualname` (a dotted name,
 *   which becomes a LogTape category; it defaults to the key), `propagate`
 *   (1 or 0). `[logger_root]` is the root logger.
 * - Handlers: `class` `StreamHandler` (`args = (sys.stdout,)` or
 *   `(sys.stderr,)`, stderr by default), `FileHandler`
 *   (`args = ("path", "a")`, mode `a` or `w`), `handlers.WatchedFileHandler`,
 *   `handlers.RotatingFileHandler`, `handlers.TimedRotatingFileHandler`
 *   (Python's argument order; see `logging/_handler_args.ts`) or
 *   `NullHandler`, each with its own `level` and `formatter`. `args` and
 *   `kwargs` are read as data, never evaluated. Only handlers some logger
 *   uses are opened; a built-in handler (aio's `consoleHandler`,
 *   `fileHandler`) that no logger uses is not even checked.
 * - Log files: created with mode 0644, their directories as `mkdir -p`;
 *   {@linkcode reopenLogFiles} reopens them all (SIGUSR1 and SIGHUP in
 *   `aio run`); a file that cannot be written (a full disk) is reported in
 *   one line on stderr at most once a minute and its records are kept (up
 *   to 1 MiB) until it can.
 * - `logging.conf` in the working directory, when present, is read on top of
 *   the config for logging: its options win, as in the original aio.app.
 * - Formatters: `format` with Python's `%(...)s` fields (`asctime created
 *   filename levelname levelno lineno message module msecs name pathname
 *   process processName relativeCreated thread threadName`, with widths like
 *   `%(levelname)-8s`) and `datefmt` (strftime codes). `class = json` writes
 *   one JSON object per line instead: `time` (ISO 8601, UTC), `level`
 *   (Python's name), `logger` (the dotted name), `message`, and `properties`
 *   when the record has any. As in Python, a formatter's options are read
 *   raw: `${...}` is not expanded there.
 * - Levels: `DEBUG INFO WARNING ERROR CRITICAL NOTSET` (any case, plus
 *   `WARN`, `FATAL` and `TRACE`), LogTape's `debug info warning error fatal`;
 *   NOTSET lets everything through on a handler and inherits on a logger.
 * - A StreamHandler on a terminal colours the level name unless `NO_COLOR`
 *   is set.
 *
 * @example Configuring from a config
 * ```ts
 * import { buildConfig } from "./config/layers.ts";
 * import { configureLogging, flushLogging, getLogger } from "./logging.ts";
 *
 * const config = buildConfig({ text: "[aio]\nlog_level = DEBUG\n", source: "aio.conf" });
 * await configureLogging(config);
 * getLogger("aio.example").debug("Configured");
 * await flushLogging();
 * ```
 *
 * @module
 */

import type { Logger as LogTapeLogger } from "@logtape/logtape";
import type { ConfigParser } from "./config/config_parser.ts";
import type { ConfigError } from "./config/errors.ts";
import {
  type ConfigureLoggingOptions,
  type Logging,
  processLogging,
} from "./logging/_logging.ts";

export type { ConfigureLoggingOptions, Logging } from "./logging/_logging.ts";
export {
  hasLoggingConf,
  LOGGING_CONF,
  processLogging,
} from "./logging/_logging.ts";
export { LOG_FILE_MODE } from "./logging/_log_file.ts";
export type { WritableLike } from "./logging/_sinks.ts";
/** The level names a {@linkcode Logger} logs at, lowest first. */
export type LogLevelName =
  | "trace"
  | "debug"
  | "info"
  | "warning"
  | "error"
  | "fatal";

/** Structured properties that fill a message's `{placeholders}`. */
export type LogProperties = Record<string, unknown>;

/**
 * A logger: LogTape's logger, described by the part of its API aio
 * promises. Messages are templates whose `{name}` placeholders are filled
 * from the properties; passing a function defers building them until the
 * level is enabled.
 */
/**
 * One level's logging method. `properties` fill the message's
 * `{placeholders}`; a function defers building them until the level is
 * enabled (an async one makes the call return a promise).
 */
export interface LogMethod {
  /** Logs `message` with `properties`. */
  (message: string, properties?: LogProperties | (() => LogProperties)): void;
  /** Logs `message` once the lazily built properties resolve. */
  (message: string, properties: () => Promise<LogProperties>): Promise<void>;
}

/** A logger: LogTape's logger, described by the part of its API aio promises. */
export interface Logger {
  /** The logger's category, such as `["aio", "mymodule"]`. */
  readonly category: readonly string[];
  /** Logs at TRACE (below DEBUG). */
  trace: LogMethod;
  /** Logs at DEBUG. */
  debug: LogMethod;
  /** Logs at INFO. */
  info: LogMethod;
  /** Logs at WARNING. */
  warn: LogMethod;
  /** Logs at WARNING. */
  warning: LogMethod;
  /** Logs at ERROR. */
  error: LogMethod;
  /** Logs at CRITICAL. */
  fatal: LogMethod;
  /** Whether a record at `level` would be written anywhere. */
  isEnabledFor(level: LogLevelName): boolean;
  /** A logger for a sub-category (`getLogger("aio").getChild("db")` is `aio.db`). */
  getChild(name: string): Logger;
  /** A logger that adds `properties` to every record it writes. */
  with(properties: LogProperties): Logger;
}

/**
 * A logger for a dotted name: `"aio.mymodule"` is LogTape's category
 * `["aio", "mymodule"]`; `""` and `"root"` are the root logger. What it
 * writes, and where, comes from the config's logging sections.
 *
 * @example A module's logger
 * ```ts
 * import { getLogger } from "@aio/app";
 * const logger = getLogger("aio.mymodule");
 * logger.info("Listening on {port}", { port: 8080 });
 * ```
 * A disabled call returns at once: the logger remembers which levels are
 * off until LogTape is configured again.
 *
 * @param name The dotted logger name, as in Python's `logging.getLogger`.
 * @returns A LogTape logger for that category.
 */
export function getLogger(name: string): Logger {
  return getLogTapeLoggerFor(name);
}

/** The full LogTape logger behind {@linkcode getLogger}, for aio's own code. */
export function getLogTapeLoggerFor(name: string): LogTapeLogger {
  return processLogging().getLogger(name);
}

/**
 * Checks the logging sections of `config` (and `logging.conf`) without
 * opening anything.
 *
 * @param config The layered config.
 * @param options Which `logging.conf` to read, if any.
 * @returns Every problem found, each a {@linkcode ConfigError} with the file
 *   and line at fault; empty when the sections are good.
 */
export function validateLogging(
  config: ConfigParser,
  options?: ConfigureLoggingOptions,
): ConfigError[] {
  return logging().validate(config, options);
}

/**
 * Configures LogTape from the logging sections of `config` (and
 * `logging.conf`), replacing any earlier configuration. Log files named by
 * the FileHandler family are opened here. LogTape's own diagnostics
 * (category `logtape.meta`) go to stderr at WARNING and above.
 *
 * @param config The layered config (built-in defaults included).
 * @param options Stand-ins for stdout and stderr, colour, `logging.conf`.
 * @throws {ConfigError} for the first mistake in the sections, or a log
 *   file that cannot be opened; the earlier configuration then stays.
 */
export async function configureLogging(
  config: ConfigParser,
  options: ConfigureLoggingOptions = {},
): Promise<void> {
  await logging().configure(config, options);
}

/**
 * Drops the logging configuration and closes its files; records are then
 * dropped until {@linkcode configureLogging} runs again. `app.clear()` calls it.
 */
export async function resetLogging(): Promise<void> {
  await logging().reset();
}

/**
 * Makes sure every record logged so far is written: waits for LogTape's
 * buffering sinks and syncs each log file to disk. Call it before the
 * process exits (aio registers it for exit when logging is configured).
 */
export async function flushLogging(): Promise<void> {
  await logging().flush();
}

/**
 * Reopens every log file at its path, creating it (and its directory) if
 * it was moved or deleted: what logrotate's `postrotate` asks for. Nothing
 * logged is lost or doubled across it. `aio run` calls it on SIGUSR1 and
 * SIGHUP. Never rejects: a file that cannot be reopened is reported on
 * stderr and the old one stays in use.
 *
 * @example After logrotate
 * ```ts ignore
 * import { reopenLogFiles } from "./logging.ts";
 * Deno.addSignalListener("SIGUSR1", () => void reopenLogFiles());
 * ```
 */
export async function reopenLogFiles(): Promise<void> {
  await logging().reopen();
}

function logging(): Logging {
  return processLogging();
}
