/**
 * The {@linkcode Logging} object: everything logging keeps between calls
 * (the open log files, the logger wrappers) in one place that the app
 * owns, behind configure, validate, reset, flush, reopen and finish (the
 * app's exit hook). LogTape's configuration is process-wide, so one object per
 * process does the configuring: {@linkcode processLogging}.
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
import type { ConfigParser } from "../config/config_parser.ts";
import { ConfigError, errorAt } from "../config/errors.ts";
import { withLoggingConf } from "../config/logging_conf.ts";
import {
  compileTextFormatter,
  jsonFormatter,
  type RecordFormatter,
} from "./_format.ts";
import { FastLogger } from "./_logger.ts";
import { LogFile } from "./_log_file.ts";
import { checkLogFileOpens } from "./_log_file_check.ts";
import { describeError } from "./_write_errors.ts";
import {
  type HandlerPlan,
  type LoggingPlan,
  planLogging,
  subjectOf,
} from "./_plan.ts";
import {
  createFileSink,
  createNullSink,
  createStreamSink,
  type FileSink,
  type WritableLike,
} from "./_sinks.ts";

/** Options for {@linkcode Logging.configure} and {@linkcode Logging.validate}. */
export interface ConfigureLoggingOptions {
  /** Where `StreamHandler` `(sys.stdout,)` writes (default `Deno.stdout`). */
  stdout?: WritableLike;
  /**
   * Where `StreamHandler` `(sys.stderr,)`, LogTape's own warnings and
   * reports of log files that cannot be written go (default `Deno.stderr`).
   */
  stderr?: WritableLike;
  /**
   * Colour the level names of stream handlers. By default: when the stream
   * is a terminal and `NO_COLOR` is not set.
   */
  color?: boolean;
  /**
   * The file whose logging sections win over the config's (default
   * `logging.conf` in the working directory; `null` reads none).
   */
  loggingConf?: string | null;
  /**
   * Open the log files of the FileHandler family (default true). With
   * false, nothing is created or written: each file is only checked to be
   * openable (see `_log_file_check.ts`) and its handler drops its records,
   * so logging goes to the stream handlers alone. For the commands that
   * only read (`aio check`, `aio permissions`, `aio unit`).
   */
  openFiles?: boolean;
}

// Kept here too for the importers that know logging by this module.
export {
  hasLoggingConf,
  LOGGING_CONF,
  withLoggingConf,
} from "../config/logging_conf.ts";

const META_FORMAT = "%(asctime)s %(levelname)s(%(name)s): %(message)s";
const META_SINK = "aio:logtape-meta";

/**
 * Logging's state and life cycle.
 *
 * @example Configure, log, reopen after rotation, reset
 * ```ts ignore
 * const logging = processLogging();
 * await logging.configure(config);
 * logging.getLogger("aio.example").info("Hello");
 * await logging.reopen(); // after logrotate moved the files
 * await logging.reset();
 * ```
 */
export class Logging {
  #files: LogFile[] = [];
  #loggers = new Map<string, LogTapeLogger>();

  /**
   * A logger for a dotted name. It works before {@linkcode configure} (its
   * records are dropped until then) and follows every reconfiguration.
   */
  getLogger(name: string): LogTapeLogger {
    const key = name === "root" ? "" : name;
    let logger = this.#loggers.get(key);
    if (logger === undefined) {
      logger = new FastLogger(
        getLogTapeLogger(key === "" ? [] : key.split(".")),
      );
      this.#loggers.set(key, logger);
    }
    return logger;
  }

  /**
   * Every problem in the logging sections of `config` (and `logging.conf`),
   * each with its file and line; opens nothing.
   */
  validate(
    config: ConfigParser,
    options: ConfigureLoggingOptions = {},
  ): ConfigError[] {
    let layered: ConfigParser;
    try {
      layered = withLoggingConf(config, options.loggingConf);
    } catch (error) {
      if (error instanceof ConfigError) return [error];
      throw error;
    }
    return planLogging(layered).errors;
  }

  /**
   * Configures LogTape from the logging sections, replacing any earlier
   * configuration. Log files (and their directories) are created here,
   * unless a handler delays it or `options.openFiles` is false.
   *
   * @throws {ConfigError} for the first mistake in the sections, or a log
   *   file that cannot be opened; the earlier configuration then stays.
   */
  async configure(
    config: ConfigParser,
    options: ConfigureLoggingOptions = {},
  ): Promise<void> {
    const { plan, errors } = planLogging(
      withLoggingConf(config, options.loggingConf),
    );
    if (errors.length > 0) throw errors[0];
    const stdout = options.stdout ?? Deno.stdout;
    const stderr = options.stderr ?? Deno.stderr;
    const open = options.openFiles ?? true;
    const files = open ? openFiles(plan, stderr) : checkFiles(plan);
    const sinks: Record<string, Sink> = {};
    for (const key of plan.usedHandlers) {
      const handler = plan.handlers.get(key)!;
      sinks[sinkId(key)] = !open && handler.kind === "file"
        ? createNullSink()
        : createSink(handler, {
          stdout,
          stderr,
          color: options.color,
          files,
        });
    }
    sinks[META_SINK] = createStreamSink(
      stderr,
      compileTextFormatter(META_FORMAT),
      "warning",
      { stderr, name: "stderr" },
    );
    try {
      await configure({ sinks, loggers: loggerConfigs(plan), reset: true });
    } catch (error) {
      for (const file of files.values()) file.close();
      throw error;
    }
    this.#files = [...files.values()];
  }

  /**
   * Drops the configuration and closes its files; records are dropped until
   * {@linkcode configure} runs again.
   */
  async reset(): Promise<void> {
    this.#files = [];
    await reset();
  }

  /**
   * Makes sure every record logged so far is written: waits for LogTape's
   * buffering sinks and syncs each log file to disk.
   */
  async flush(): Promise<void> {
    await drain();
    for (const file of this.#files) file.sync();
  }

  /**
   * For the process's exit (the app registers it as an exit hook):
   * everything written and synced, then the files closed, which reports in
   * one line each the records that could never be written.
   */
  async finish(): Promise<void> {
    await this.flush();
    for (const file of this.#files) file.close();
  }

  /**
   * Reopens every log file at its path, creating it if it was moved away
   * (after logrotate). Never rejects: a file that cannot be reopened is
   * reported on stderr and the old one stays in use.
   */
  async reopen(): Promise<void> {
    await drain();
    for (const file of this.#files) file.reopen();
  }
}

const LOGGING_KEY = Symbol.for("aio.logging");

/**
 * The process's {@linkcode Logging}: LogTape is configured per process, so
 * every copy of the library shares this one (through `globalThis`).
 */
export function processLogging(): Logging {
  const slot = globalThis as Record<symbol, Logging | undefined>;
  return slot[LOGGING_KEY] ??= new Logging();
}

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

function openFiles(
  plan: LoggingPlan,
  stderr: WritableLike,
): Map<string, LogFile> {
  const opened = new Map<string, LogFile>();
  for (const [key, handler] of fileHandlers(plan)) {
    try {
      opened.set(key, new LogFile(handler.file, { stderr }));
    } catch (error) {
      for (const file of opened.values()) file.close();
      throw cannotOpen(handler, error);
    }
  }
  return opened;
}

/** Checks that each log file could be opened, creating nothing; opens none. */
function checkFiles(plan: LoggingPlan): Map<string, LogFile> {
  for (const [, handler] of fileHandlers(plan)) {
    try {
      checkLogFileOpens(handler.file.path);
    } catch (error) {
      throw cannotOpen(handler, error);
    }
  }
  return new Map();
}

type FileHandlerPlan = HandlerPlan & { kind: "file" };

function* fileHandlers(
  plan: LoggingPlan,
): Generator<[string, FileHandlerPlan]> {
  for (const key of plan.usedHandlers) {
    const handler = plan.handlers.get(key)!;
    if (handler.kind === "file") yield [key, handler];
  }
}

function cannotOpen(handler: FileHandlerPlan, error: unknown): ConfigError {
  // About the option the path was written in: `[aio] log_file` for the
  // built-in fileHandler's (see the plan's #locate).
  return errorAt(
    handler.argsAt.source,
    `${
      subjectOf(handler.argsAt)
    } cannot open log file '${handler.file.path}': ${describeError(error)}`,
  );
}

interface SinkContext {
  stdout: WritableLike;
  stderr: WritableLike;
  color: boolean | undefined;
  files: Map<string, LogFile>;
}

function createSink(handler: HandlerPlan, context: SinkContext): Sink {
  if (handler.kind === "null") return createNullSink();
  if (handler.kind === "file") {
    return createFileSink(
      context.files.get(handler.key)!,
      formatterFor(handler, false),
      handler.level,
    ) satisfies FileSink;
  }
  const stream = handler.stream === "stdout" ? context.stdout : context.stderr;
  const color = context.color ?? wantsColor(stream);
  return createStreamSink(stream, formatterFor(handler, color), handler.level, {
    stderr: context.stderr,
    name: handler.stream,
  });
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
