/**
 * Reads the `fileConfig` sections of a config into a plan of loggers,
 * handlers and formatters, collecting every mistake with its file and line.
 * It opens nothing: the plan is checked here and built in `logging.ts`.
 *
 * @module
 */

import type { LogLevel } from "@logtape/logtape";
import { dirname } from "node:path";
import type { ConfigParser } from "../config/config_parser.ts";
import { DEFAULTS_SOURCE } from "../config/defaults.ts";
import { ConfigError, errorAt, type ValueSource } from "../config/errors.ts";
import { readValue } from "../config/read_value.ts";
import {
  describe,
  NotDataError,
  parseArgs,
  parseKwargs,
  type PyDict,
  type PyValue,
  StreamName,
} from "./_args.ts";
import { compileTextFormatter, FormatSyntaxError } from "./_format.ts";
import {
  bindFileHandlerArgs,
  type FileHandlerClass,
  HandlerArgsError,
} from "./_handler_args.ts";
import type { LogFileSpec } from "./_log_file.ts";
import { creationBlocker } from "./_log_file_check.ts";
import { type Level, levelProblem, notDefined, parseLevel } from "./_names.ts";

/** A `[formatter_*]` section. */
export interface FormatterPlan {
  /** The key, as in `[formatters] keys`. */
  key: string;
  /** `class = json`: one JSON object per line; otherwise the `%` format. */
  json: boolean;
  /** The `%(...)s` format (Python's default `%(message)s`). */
  format: string;
  /** Python's `datefmt`, strftime codes for `%(asctime)s`. */
  datefmt?: string;
}

/** A `[handler_*]` section. */
export type HandlerPlan =
  & {
    /** The key, as in `[handlers] keys`. */
    key: string;
    /** The handler's own level; undefined for NOTSET (everything). */
    level?: LogLevel;
    /** Its formatter; undefined for Python's default `%(message)s`. */
    formatter?: FormatterPlan;
    /**
     * Where the file's arguments were written, for errors found when the
     * handler opens: `[aio] log_file` for the built-in fileHandler's.
     */
    argsAt: Located;
  }
  & (
    | { kind: "stream"; stream: "stdout" | "stderr" }
    | { kind: "file"; file: LogFileSpec }
    | { kind: "null" }
  );

/** A `[logger_*]` section, its level resolved as Python resolves it. */
export interface LoggerPlan {
  /** The key, as in `[loggers] keys`. */
  key: string;
  /** The LogTape category: `qualname` split on dots; `[]` for the root. */
  category: string[];
  /** The effective level: the logger's own, or its nearest ancestor's. */
  lowestLevel: LogLevel;
  /** The handler keys, in order. */
  handlers: string[];
  /** Whether records also go to the ancestors' handlers. */
  propagate: boolean;
}

/** Everything the logging sections say, checked. */
export interface LoggingPlan {
  /** The handlers, by key. */
  handlers: Map<string, HandlerPlan>;
  /** The loggers, the root first. */
  loggers: LoggerPlan[];
  /** The handlers some logger uses. */
  usedHandlers: Set<string>;
}

/**
 * An option (or, with `option` empty, a whole section) and where it is
 * written: what an error names and points at.
 */
export interface Located {
  /** The section. */
  section: string;
  /** The option; empty for the section as a whole. */
  option: string;
  /** The file and line. */
  source: ValueSource;
}

/** `[section] option:` (or `[section]` for a whole section), the start of a message about `at`. */
export function subjectOf(at: Located): string {
  return at.option === "" ? `[${at.section}]` : `[${at.section}] ${at.option}:`;
}

type HandlerClass = "StreamHandler" | "NullHandler" | FileHandlerClass;

// The spellings Python's fileConfig resolves: names in the logging module
// (with or without `logging.`), and `handlers.X` or `logging.handlers.X`.
const HANDLER_CLASSES: Readonly<Record<string, HandlerClass>> = {
  StreamHandler: "StreamHandler",
  FileHandler: "FileHandler",
  NullHandler: "NullHandler",
  "handlers.WatchedFileHandler": "WatchedFileHandler",
  "handlers.RotatingFileHandler": "RotatingFileHandler",
  "handlers.TimedRotatingFileHandler": "TimedRotatingFileHandler",
};

const CLASS_LIST =
  "StreamHandler, FileHandler, NullHandler, handlers.WatchedFileHandler, handlers.RotatingFileHandler or handlers.TimedRotatingFileHandler";

const DATA_HINT =
  "strings, numbers, True, False, None, sys.stdout or sys.stderr";

const FAILED = Symbol("failed");
type Read = string | undefined | typeof FAILED;

interface Keys {
  names: string[];
  explicit: boolean;
}

/**
 * Reads the logging sections of `config`. Never throws for a config
 * mistake: each one is in `errors`, and `plan` is only usable when
 * `errors` is empty.
 */
export function planLogging(
  config: ConfigParser,
): { plan: LoggingPlan; errors: ConfigError[] } {
  return new Planner(config).run();
}

class Planner {
  #config: ConfigParser;
  #errors: ConfigError[] = [];
  // Every handler a logger names, its logger good or not.
  #namedHandlers = new Set<string>();

  constructor(config: ConfigParser) {
    this.#config = config;
  }

  run(): { plan: LoggingPlan; errors: ConfigError[] } {
    const formatterKeys = this.#keys("formatters", "formatter_");
    const handlerKeys = this.#keys("handlers", "handler_");
    const loggerKeys = this.#keys("loggers", "logger_");
    const formatters = new Map<string, FormatterPlan>();
    for (const key of formatterKeys.names) {
      const formatter = this.#formatter(key);
      if (formatter) formatters.set(key, formatter);
    }
    const loggers = this.#loggers(loggerKeys, handlerKeys);
    const usedHandlers = new Set(loggers.flatMap((logger) => logger.handlers));
    const handlers = new Map<string, HandlerPlan>();
    for (const key of handlerKeys.names) {
      // A built-in handler nobody uses is none of the user's business: with
      // their own [formatters] keys, its formatter may well be missing.
      const section = `handler_${key}`;
      const builtIn =
        this.#config.sectionSource(section).file === DEFAULTS_SOURCE;
      if (builtIn && !this.#namedHandlers.has(key)) continue;
      const handler = this.#handler(key, formatters, formatterKeys);
      if (handler) handlers.set(key, handler);
    }
    for (const key of usedHandlers) {
      // A used handler with errors of its own has been reported; don't build it.
      if (!handlers.has(key)) usedHandlers.delete(key);
    }
    // In file order, as a reader goes through the config; once each (the
    // built-in sections all refer to `[aio] log_level`: a bad one is one
    // error, about `[aio] log_level`, however many sections read it).
    const files = this.#config.files;
    const unique = new Map(this.#errors.map((error) => [error.message, error]));
    const errors = [...unique.values()].toSorted((a, b) =>
      files.indexOf(a.source) - files.indexOf(b.source) || a.line - b.line
    );
    return { plan: { handlers, loggers, usedHandlers }, errors };
  }

  #keys(list: string, prefix: string): Keys {
    const present = this.#config.sections()
      .filter((section) => section.startsWith(prefix))
      .map((section) => section.slice(prefix.length));
    if (!this.#config.has(list, "keys")) {
      return { names: present, explicit: false };
    }
    const text = this.#read(list, "keys");
    if (text === FAILED || text === undefined) {
      return { names: present, explicit: false };
    }
    const names = splitList(text);
    for (const key of names) {
      if (!this.#config.has(`${prefix}${key}`)) {
        this.#fail(
          list,
          "keys",
          `'${key}' is listed but there is no [${prefix}${key}] section`,
        );
      }
    }
    return {
      names: names.filter((key) => this.#config.has(`${prefix}${key}`)),
      explicit: true,
    };
  }

  #formatter(key: string): FormatterPlan | undefined {
    const section = `formatter_${key}`;
    // Python reads a formatter's options raw: `%(...)s` is not interpolation.
    const format = this.#read(section, "format", true) ?? "%(message)s";
    const datefmt = this.#read(section, "datefmt", true);
    const style = this.#read(section, "style", true);
    const className = this.#read(section, "class", true);
    if (
      format === FAILED || datefmt === FAILED || style === FAILED ||
      className === FAILED
    ) return undefined;
    let json = false;
    if (className !== undefined) {
      const name = className.trim();
      if (name === "json") {
        json = true;
      } else if (name !== "Formatter" && name !== "logging.Formatter") {
        this.#fail(
          section,
          "class",
          `unknown formatter class '${name}': use json, or leave class out for a % format`,
        );
        return undefined;
      }
    }
    if (style !== undefined && style.trim() !== "%") {
      this.#fail(
        section,
        "style",
        `unsupported style '${style.trim()}': only % formats are supported`,
      );
      return undefined;
    }
    if (!json) {
      try {
        compileTextFormatter(format, { datefmt });
      } catch (error) {
        if (!(error instanceof FormatSyntaxError)) throw error;
        const option = this.#config.has(section, "format") ? "format" : "";
        this.#fail(
          section,
          option,
          error.message,
        );
        return undefined;
      }
    }
    return { key, json, format, datefmt };
  }

  #handler(
    key: string,
    formatters: Map<string, FormatterPlan>,
    formatterKeys: Keys,
  ): HandlerPlan | undefined {
    const section = `handler_${key}`;
    const className = this.#read(section, "class");
    const levelText = this.#read(section, "level");
    const formatterText = this.#read(section, "formatter");
    const argsText = this.#read(section, "args") ?? "()";
    const kwargsText = this.#read(section, "kwargs") ?? "{}";
    if (className === undefined) {
      this.#fail(
        section,
        "",
        `needs class (StreamHandler, FileHandler or one of Python's handlers.* classes)`,
      );
    }
    const handlerClass = className === undefined || className === FAILED
      ? undefined
      : this.#handlerClass(section, className);
    const level = this.#level(section, levelText);
    let formatter: FormatterPlan | undefined;
    let formatterOk = true;
    if (typeof formatterText === "string" && formatterText.trim() !== "") {
      const name = formatterText.trim();
      formatter = formatters.get(name);
      if (!formatter) {
        formatterOk = false;
        // A formatter with errors of its own has been reported already.
        if (!formatterKeys.names.includes(name)) {
          this.#fail(
            section,
            "formatter",
            notDefined(
              "formatter",
              name,
              this.#defineHint("formatter", name, formatterKeys),
            ),
          );
        }
      }
    }
    const args = this.#data(section, "args", argsText, parseArgs);
    const kwargs = this.#data(section, "kwargs", kwargsText, parseKwargs);
    if (
      handlerClass === undefined || level === FAILED || !formatterOk ||
      args === undefined || kwargs === undefined
    ) return undefined;
    const base = {
      key,
      level: level === "notset" ? undefined : level,
      formatter,
      argsAt: this.#locate(
        section,
        this.#config.has(section, "args") ? "args" : "kwargs",
      ),
    };
    if (handlerClass === "NullHandler") return { ...base, kind: "null" };
    if (handlerClass === "StreamHandler") {
      const stream = this.#streamArgs(section, args, kwargs);
      return stream ? { ...base, kind: "stream", stream } : undefined;
    }
    const file = this.#fileArgs(section, handlerClass, args, kwargs);
    return file ? { ...base, kind: "file", file } : undefined;
  }

  #handlerClass(section: string, className: string): HandlerClass | undefined {
    const written = className.trim();
    const name = written.replace(/^logging\./, "");
    if (Object.hasOwn(HANDLER_CLASSES, name)) return HANDLER_CLASSES[name];
    // fileConfig finds these only through the handlers module.
    const hint = Object.hasOwn(HANDLER_CLASSES, `handlers.${name}`)
      ? `write handlers.${name}, as Python's fileConfig needs`
      : `use ${CLASS_LIST}`;
    this.#fail(
      section,
      "class",
      `unknown handler class '${written}': ${hint}`,
    );
    return undefined;
  }

  #data<T>(
    section: string,
    option: string,
    text: string | typeof FAILED,
    parse: (text: string) => T,
  ): T | undefined {
    if (text === FAILED) return undefined;
    try {
      return parse(text);
    } catch (error) {
      if (!(error instanceof NotDataError)) throw error;
      this.#fail(
        section,
        option,
        `must be data, not code (${DATA_HINT}): ${error.message}`,
      );
      return undefined;
    }
  }

  #streamArgs(
    section: string,
    args: PyValue[],
    kwargs: PyDict,
  ): "stdout" | "stderr" | undefined {
    const extra = [...kwargs.keys()].filter((name) => name !== "stream");
    const stream = args[0] ?? kwargs.get("stream") ?? null;
    if (args.length > 1 || extra.length > 0) {
      this.#fail(
        section,
        "args",
        `StreamHandler takes one argument: write args = (sys.stdout,) or (sys.stderr,)`,
      );
      return undefined;
    }
    if (stream === null) return "stderr";
    if (stream instanceof StreamName) return stream.name;
    this.#fail(
      section,
      "args",
      `StreamHandler writes to sys.stdout or sys.stderr, not ${
        describe(stream)
      }`,
    );
    return undefined;
  }

  #fileArgs(
    section: string,
    className: FileHandlerClass,
    args: PyValue[],
    kwargs: PyDict,
  ): LogFileSpec | undefined {
    let file: LogFileSpec;
    try {
      file = bindFileHandlerArgs(className, args, kwargs);
    } catch (error) {
      if (!(error instanceof HandlerArgsError)) throw error;
      const option = error.inKwargs ? "kwargs" : "args";
      this.#fail(section, option, error.message);
      return undefined;
    }
    const blocker = creationBlocker(dirname(file.path));
    if (blocker !== undefined) {
      const option = this.#config.has(section, "args") ? "args" : "kwargs";
      this.#fail(
        section,
        option,
        `cannot create the directory of log file '${file.path}': '${blocker}' is not a directory`,
      );
      return undefined;
    }
    return file;
  }

  #loggers(loggerKeys: Keys, handlerKeys: Keys): LoggerPlan[] {
    const levels = new Map<string, Level>();
    const plans: (LoggerPlan & { own: Level })[] = [];
    const owners = new Map<string, string>();
    const keys = ["root", ...loggerKeys.names.filter((key) => key !== "root")];
    for (const key of keys) {
      const plan = this.#logger(key, handlerKeys);
      if (!plan) continue;
      const id = plan.category.join(".");
      const owner = owners.get(id);
      if (owner !== undefined) {
        this.#fail(
          `logger_${key}`,
          "qualname",
          `logger '${id || "root"}' is already configured by [logger_${owner}]`,
        );
        continue;
      }
      owners.set(id, key);
      levels.set(id, plan.own);
      plans.push(plan);
    }
    return plans.map(({ own, ...plan }) => ({
      ...plan,
      lowestLevel: effectiveLevel(plan.category, own, levels),
    }));
  }

  #logger(
    key: string,
    handlerKeys: Keys,
  ): (LoggerPlan & { own: Level }) | undefined {
    const section = `logger_${key}`;
    const root = key === "root";
    if (root && !this.#config.has(section)) {
      // Python's root logger, untouched: WARNING, no handlers.
      return {
        key,
        category: [],
        own: "warning",
        lowestLevel: "warning",
        handlers: [],
        propagate: true,
      };
    }
    const levelText = this.#read(section, "level");
    const handlersText = this.#read(section, "handlers") ?? "";
    const qualname = root ? "" : this.#read(section, "qualname") ?? key;
    const propagateText = root ? undefined : this.#read(section, "propagate");
    const level = this.#level(section, levelText);
    let ok = level !== FAILED;
    let category: string[] = [];
    if (qualname === FAILED) {
      ok = false;
    } else if (qualname !== "") {
      category = qualname.trim().split(".");
      if (category.some((part) => part === "")) {
        this.#fail(
          section,
          "qualname",
          `bad name '${qualname.trim()}': write dotted names like aio.web`,
        );
        ok = false;
      }
    }
    let propagate = true;
    if (propagateText === FAILED) {
      ok = false;
    } else if (propagateText !== undefined) {
      const word = propagateText.trim().toLowerCase();
      if (["1", "yes", "true", "on"].includes(word)) propagate = true;
      else if (["0", "no", "false", "off"].includes(word)) propagate = false;
      else {
        this.#fail(
          section,
          "propagate",
          `must be 1 or 0, not '${propagateText.trim()}'`,
        );
        ok = false;
      }
    }
    let handlers: string[] = [];
    if (handlersText === FAILED) {
      ok = false;
    } else {
      handlers = splitList(handlersText);
      for (const name of handlers) this.#namedHandlers.add(name);
      for (const name of handlers) {
        if (!handlerKeys.names.includes(name)) {
          this.#fail(
            section,
            "handlers",
            notDefined(
              "handler",
              name,
              this.#defineHint("handler", name, handlerKeys),
            ),
          );
          ok = false;
        }
      }
    }
    if (!ok || level === FAILED) return undefined;
    const own = level ?? (root ? "warning" : "notset");
    return { key, category, own, lowestLevel: "trace", handlers, propagate };
  }

  #level(section: string, text: Read): Level | undefined | typeof FAILED {
    if (text === undefined || text === FAILED) return text;
    const level = parseLevel(text);
    if (level !== undefined) return level;
    this.#fail(section, "level", levelProblem(text)!);
    return FAILED;
  }

  /** What to add for an undefined name: its section, or its key when the section is there. */
  #defineHint(kind: string, name: string, keys: Keys): string | undefined {
    if (keys.explicit && this.#config.has(`${kind}_${name}`)) {
      return `add it to [${kind}s] keys`;
    }
    return undefined;
  }

  /**
   * An option's interpolated (or raw) value; FAILED when interpolation
   * fails (reported at the value that holds the broken reference).
   */
  #read(section: string, option: string, raw = false): Read {
    if (!this.#config.has(section, option)) return undefined;
    try {
      return readValue(this.#config, section, option, { raw });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      this.#errors.push(error);
      return FAILED;
    }
  }

  /**
   * The option a problem with a value is about. A value that is only a
   * `${...}` reference (the defaults' `level = ${aio:log_level}`), or a
   * built-in value with one reference in it (`args = ("${aio:log_file}",
   * "a")`), is about what it refers to: that is the line the user can fix,
   * and the option the message names (`[aio] log_level: ...`).
   */
  #locate(section: string, option: string): Located {
    if (option === "" || !this.#config.has(section, option)) {
      return {
        section,
        option: "",
        source: this.#config.sectionSource(section),
      };
    }
    for (let depth = 0; depth < 10; depth++) {
      const raw = this.#config.get(section, option, { raw: true });
      const builtIn =
        this.#config.source(section, option).file === DEFAULTS_SOURCE;
      const references = [...raw.matchAll(/\$\{([^}:]+:)?([^}:]+)\}/g)];
      const match = /^\s*\$\{([^}:]+:)?([^}:]+)\}\s*$/.exec(raw) ??
        (builtIn && references.length === 1 ? references[0] : null);
      if (!match) break;
      const target = match[1]?.slice(0, -1) ?? section;
      if (!this.#config.has(target, match[2])) break;
      section = target;
      option = match[2];
    }
    return { section, option, source: this.#config.source(section, option) };
  }

  // One shape for every message: `[section] option: what is wrong`, or
  // `[section] what is wrong` for the whole section; about the option the
  // user wrote (see #locate).
  #fail(section: string, option: string, detail: string): void {
    const at = this.#locate(section, option);
    this.#errors.push(errorAt(at.source, `${subjectOf(at)} ${detail}`));
  }
}

function splitList(text: string): string[] {
  return text.split(",").map((item) => item.trim()).filter(Boolean);
}

// Python's getEffectiveLevel: the first level set, walking up the dotted name.
function effectiveLevel(
  category: string[],
  own: Level,
  levels: Map<string, Level>,
): LogLevel {
  if (own !== "notset") return own;
  for (let depth = category.length - 1; depth >= 0; depth--) {
    const level = levels.get(category.slice(0, depth).join("."));
    if (level !== undefined && level !== "notset") return level;
  }
  // A NOTSET root lets everything through.
  return "trace";
}
