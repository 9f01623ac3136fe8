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
 *   (`args = ("path", "a")`, mode `a` or `w`) or `NullHandler`, each with
 *   its own `level` and `formatter`. `args` and `kwargs` are read as data,
 *   never evaluated. Only handlers some logger uses are opened; a built-in
 *   handler (aio's `consoleHandler`) that no logger uses is not even checked.
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

import {
  configure,
  drain,
  getLogger as getLogTapeLogger,
  type Logger as LogTapeLogger,
  type LoggerConfig,
  reset,
  type Sink,
} from "@logtape/logtape";
import type { ConfigParser } from "./config/config_parser.ts";
import { type ConfigError, errorAt } from "./config/errors.ts";
import {
  compileTextFormatter,
  jsonFormatter,
  type RecordFormatter,
} from "./logging/_format.ts";
import {
  type HandlerPlan,
  type LoggingPlan,
  planLogging,
} from "./logging/_plan.ts";
import { FastLogger } from "./logging/_logger.ts";
import {
  createFileSink,
  createNullSink,
  createStreamSink,
  type FileSink,
  type WritableLike,
} from "./logging/_sinks.ts";

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

/** Options for {@linkcode configureLogging}. */
export interface ConfigureLoggingOptions {
  /** Where `StreamHandler` `(sys.stdout,)` writes (default `Deno.stdout`). */
  stdout?: WritableLike;
  /** Where `StreamHandler` `(sys.stderr,)` and LogTape's own warnings write (default `Deno.stderr`). */
  stderr?: WritableLike;
  /**
   * Colour the level names of stream handlers. By default: when the stream
   * is a terminal and `NO_COLOR` is not set.
   */
  color?: boolean;
}

const META_FORMAT = "%(asctime)s %(levelname)s(%(name)s): %(message)s";

let fileSinks: FileSink[] = [];
const loggers = new Map<string, LogTapeLogger>();

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
  const key = name === "root" ? "" : name;
  let logger = loggers.get(key);
  if (logger === undefined) {
    logger = new FastLogger(getLogTapeLogger(key === "" ? [] : key.split(".")));
    loggers.set(key, logger);
  }
  return logger;
}

/**
 * Checks the logging sections of `config` without opening anything.
 *
 * @param config The layered config.
 * @returns Every problem found, each a {@linkcode ConfigError} with the file
 *   and line at fault; empty when the sections are good.
 */
export function validateLogging(config: ConfigParser): ConfigError[] {
  return planLogging(config).errors;
}

/**
 * Configures LogTape from the logging sections of `config`, replacing any
 * earlier configuration. Files named by `FileHandler`s are opened here.
 * LogTape's own diagnostics (category `logtape.meta`) go to stderr at
 * WARNING and above.
 *
 * @param config The layered config (built-in defaults included).
 * @param options Stand-ins for stdout and stderr, and colour.
 * @throws {ConfigError} for the first mistake in the sections, or a log
 *   file that cannot be opened; the earlier configuration then stays.
 */
export async function configureLogging(
  config: ConfigParser,
  options: ConfigureLoggingOptions = {},
): Promise<void> {
  const { plan, errors } = planLogging(config);
  if (errors.length > 0) throw errors[0];
  const stdout = options.stdout ?? Deno.stdout;
  const stderr = options.stderr ?? Deno.stderr;
  const opened = openFiles(plan);
  const sinks: Record<string, Sink> = {};
  for (const key of plan.usedHandlers) {
    const handler = plan.handlers.get(key)!;
    sinks[sinkId(key)] = createSink(handler, {
      stdout,
      stderr,
      color: options.color,
      files: opened,
    });
  }
  sinks[META_SINK] = createStreamSink(
    stderr,
    compileTextFormatter(META_FORMAT),
    "warning",
  );
  try {
    await configure({
      sinks,
      loggers: loggerConfigs(plan),
      reset: true,
    });
  } catch (error) {
    for (const file of opened.values()) file.close();
    throw error;
  }
  fileSinks = [...opened.keys()].map((key) => sinks[sinkId(key)] as FileSink);
}

/**
 * Drops the logging configuration and closes its files; records are then
 * dropped until {@linkcode configureLogging} runs again. `app.clear()` calls it.
 */
export async function resetLogging(): Promise<void> {
  fileSinks = [];
  await reset();
}

/**
 * Makes sure every record logged so far is written: waits for LogTape's
 * buffering sinks and syncs each `FileHandler` file to disk. Call it before
 * the process exits.
 */
export async function flushLogging(): Promise<void> {
  await drain();
  for (const sink of fileSinks) sink.sync();
}

const META_SINK = "aio:logtape-meta";
/** The mode of a log file aio creates. */
export const LOG_FILE_MODE = 0o644;

function sinkId(key: string): string {
  return `handler:${key}`;
}

function loggerConfigs(plan: LoggingPlan): LoggerConfig<string, string>[] {
  const configs: LoggerConfig<string, string>[] = plan.loggers.map((
    logger,
  ) => ({
    category: logger.category,
    sinks: logger.handlers.map(sinkId),
    lowestLevel: logger.lowestLevel,
    // Python's propagate hands a record to every ancestor's handlers,
    // whatever the ancestors' levels: that is LogTape's "forward".
    parentSinks: logger.propagate ? "forward" : "override",
  }));
  const userMeta = plan.loggers.some((logger) =>
    logger.category.join(".") === "logtape.meta"
  );
  if (!userMeta) {
    configs.push({
      category: ["logtape", "meta"],
      sinks: [META_SINK],
      lowestLevel: "warning",
      parentSinks: "override",
    });
  }
  return configs;
}

function openFiles(plan: LoggingPlan): Map<string, Deno.FsFile> {
  const opened = new Map<string, Deno.FsFile>();
  for (const key of plan.usedHandlers) {
    const handler = plan.handlers.get(key)!;
    if (handler.kind !== "file") continue;
    try {
      opened.set(
        key,
        Deno.openSync(handler.path, {
          write: true,
          create: true,
          append: handler.mode === "a",
          truncate: handler.mode === "w",
          // A new log file is not world-writable, whatever the umask.
          mode: LOG_FILE_MODE,
        }),
      );
    } catch (error) {
      for (const file of opened.values()) file.close();
      const reason = error instanceof Error ? error.message : String(error);
      throw errorAt(
        handler.argsSource,
        `Cannot open log file '${handler.path}' of [handler_${key}]: ${reason}`,
      );
    }
  }
  return opened;
}

interface SinkContext {
  stdout: WritableLike;
  stderr: WritableLike;
  color: boolean | undefined;
  files: Map<string, Deno.FsFile>;
}

function createSink(handler: HandlerPlan, context: SinkContext): Sink {
  if (handler.kind === "null") return createNullSink();
  if (handler.kind === "file") {
    const format = formatterFor(handler, false);
    return createFileSink(
      context.files.get(handler.key)!,
      format,
      handler.level,
    );
  }
  const stream = handler.stream === "stdout" ? context.stdout : context.stderr;
  const color = context.color ?? wantsColor(stream);
  return createStreamSink(stream, formatterFor(handler, color), handler.level);
}

function formatterFor(handler: HandlerPlan, color: boolean): RecordFormatter {
  const formatter = handler.formatter;
  if (formatter?.json) return jsonFormatter;
  return compileTextFormatter(formatter?.format ?? "%(message)s", {
    datefmt: formatter?.datefmt,
    color,
  });
}

function wantsColor(stream: WritableLike): boolean {
  let noColor: string | undefined;
  try {
    noColor = Deno.env.get("NO_COLOR");
  } catch {
    // Without --allow-env, fall back to what Deno saw at start-up.
    return !Deno.noColor && (stream.isTerminal?.() ?? false);
  }
  if (noColor !== undefined && noColor !== "") return false;
  return stream.isTerminal?.() ?? false;
}
