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
    /** Where `args` was written, for errors found when the handler opens. */
    argsSource: ValueSource;
  }
  & (
    | { kind: "stream"; stream: "stdout" | "stderr" }
    | { kind: "file"; path: string; mode: "a" | "w" }
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

type Level = LogLevel | "notset";

const LEVELS: Readonly<Record<string, Level>> = {
  CRITICAL: "fatal",
  FATAL: "fatal",
  ERROR: "error",
  WARNING: "warning",
  WARN: "warning",
  INFO: "info",
  DEBUG: "debug",
  TRACE: "trace",
  NOTSET: "notset",
};

const HANDLER_CLASSES: Readonly<Record<string, HandlerPlan["kind"]>> = {
  StreamHandler: "stream",
  FileHandler: "file",
  NullHandler: "null",
};

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
    // In file order, as a reader goes through the config.
    const files = this.#config.files;
    const errors = this.#errors.toSorted((a, b) =>
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
          `'${key}' is listed in [${list}] keys but there is no [${prefix}${key}] section`,
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
          `Unknown formatter class '${name}' in [${section}]: use json, or leave class out for a % format`,
        );
        return undefined;
      }
    }
    if (style !== undefined && style.trim() !== "%") {
      this.#fail(
        section,
        "style",
        `Unsupported style '${style.trim()}' in [${section}]: only % formats are supported`,
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
          `Bad format in [${section}]: ${error.message}`,
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
        `[${section}] has no class: set class = StreamHandler or FileHandler`,
      );
    }
    const kind = className === undefined || className === FAILED
      ? undefined
      : this.#handlerKind(section, className);
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
            `Formatter '${name}' named in [${section}] is not defined: ${
              this.#defineHint("formatter", name, formatterKeys)
            }`,
          );
        }
      }
    }
    const args = this.#data(section, "args", argsText, parseArgs);
    const kwargs = this.#data(section, "kwargs", kwargsText, parseKwargs);
    if (
      kind === undefined || level === FAILED || !formatterOk ||
      args === undefined || kwargs === undefined
    ) return undefined;
    const base = {
      key,
      level: level === "notset" ? undefined : level,
      formatter,
      argsSource: this.#source(section, "args"),
    };
    if (kind === "null") return { ...base, kind };
    if (kind === "stream") {
      const stream = this.#streamArgs(section, args, kwargs);
      return stream ? { ...base, kind, stream } : undefined;
    }
    const file = this.#fileArgs(section, args, kwargs);
    return file ? { ...base, kind, ...file } : undefined;
  }

  #handlerKind(
    section: string,
    className: string,
  ): HandlerPlan["kind"] | undefined {
    const name = className.trim().replace(/^logging\./, "");
    if (Object.hasOwn(HANDLER_CLASSES, name)) return HANDLER_CLASSES[name];
    this.#fail(
      section,
      "class",
      `Unknown handler class '${className.trim()}' in [${section}]: use StreamHandler, FileHandler or NullHandler`,
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
        `[${section}] ${option} must be data, not code (${DATA_HINT}): ${error.message}`,
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
        `StreamHandler in [${section}] takes one argument: write args = (sys.stdout,) or (sys.stderr,)`,
      );
      return undefined;
    }
    if (stream === null) return "stderr";
    if (stream instanceof StreamName) return stream.name;
    this.#fail(
      section,
      "args",
      `StreamHandler in [${section}] writes to sys.stdout or sys.stderr, not ${
        describe(stream)
      }`,
    );
    return undefined;
  }

  #fileArgs(
    section: string,
    args: PyValue[],
    kwargs: PyDict,
  ): { path: string; mode: "a" | "w" } | undefined {
    const names = ["filename", "mode", "encoding", "delay", "errors"];
    const unknown = [...kwargs.keys()].find((name) =>
      typeof name !== "string" || !names.includes(name)
    );
    const where = kwargs.size > 0 && args.length === 0 ? "kwargs" : "args";
    if (unknown !== undefined || args.length > names.length) {
      this.#fail(
        section,
        where,
        `FileHandler in [${section}] takes (filename, mode, encoding, delay, errors)${
          unknown === undefined ? "" : `, not ${String(unknown)}`
        }`,
      );
      return undefined;
    }
    const arg = (index: number) => args[index] ?? kwargs.get(names[index]);
    const path = arg(0);
    const mode = arg(1) ?? "a";
    const encoding = arg(2) ?? null;
    if (typeof path !== "string" || path === "") {
      this.#fail(
        section,
        where,
        `FileHandler in [${section}] needs a file name: write args = ("var/log/app.log", "a")`,
      );
      return undefined;
    }
    if (mode !== "a" && mode !== "w") {
      this.#fail(
        section,
        where,
        `FileHandler mode in [${section}] must be "a" (append) or "w" (truncate), not ${
          describe(mode)
        }`,
      );
      return undefined;
    }
    if (
      encoding !== null &&
      !(typeof encoding === "string" && /^utf-?8$/i.test(encoding))
    ) {
      this.#fail(
        section,
        where,
        `FileHandler in [${section}] writes UTF-8 only, not ${
          describe(encoding)
        }`,
      );
      return undefined;
    }
    const directory = dirname(path);
    if (!isDirectory(directory)) {
      this.#fail(
        section,
        where,
        `Log file directory '${directory}' of [${section}] does not exist: create it or fix the path`,
      );
      return undefined;
    }
    return { path, mode };
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
          `Logger '${
            id || "root"
          }' of [logger_${key}] is already configured by [logger_${owner}]`,
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
          `Bad qualname '${qualname.trim()}' in [${section}]: write dotted names like aio.web`,
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
          `propagate in [${section}] must be 1 or 0, not '${propagateText.trim()}'`,
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
            `Handler '${name}' named in [${section}] is not defined: ${
              this.#defineHint("handler", name, handlerKeys)
            }`,
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
    const level = LEVELS[text.trim().toUpperCase()];
    if (level !== undefined) return level;
    this.#fail(
      section,
      "level",
      `Unknown level '${text.trim()}' in [${section}]: use DEBUG, INFO, WARNING, ERROR, CRITICAL or NOTSET`,
    );
    return FAILED;
  }

  #defineHint(kind: string, name: string, keys: Keys): string {
    const list = `${kind}s`;
    if (keys.explicit && this.#config.has(`${kind}_${name}`)) {
      return `add it to [${list}] keys`;
    }
    return `add a [${kind}_${name}] section`;
  }

  /** An option's interpolated (or raw) value; FAILED when interpolation fails. */
  #read(section: string, option: string, raw = false): Read {
    if (!this.#config.has(section, option)) return undefined;
    try {
      return this.#config.get(section, option, { raw });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      this.#errors.push(error);
      return FAILED;
    }
  }

  /**
   * Where a value is written. A value that is only a `${...}` reference
   * (the defaults' `level = ${aio:log_level}`) points at what it refers to,
   * which is the line the user can fix.
   */
  #source(section: string, option: string): ValueSource {
    if (option === "" || !this.#config.has(section, option)) {
      return this.#config.sectionSource(section);
    }
    for (let depth = 0; depth < 10; depth++) {
      const raw = this.#config.get(section, option, { raw: true });
      const match = /^\s*\$\{([^}:]+:)?([^}:]+)\}\s*$/.exec(raw);
      if (!match) break;
      const target = match[1]?.slice(0, -1) ?? section;
      if (!this.#config.has(target, match[2])) break;
      section = target;
      option = match[2];
    }
    return this.#config.source(section, option);
  }

  #fail(section: string, option: string, detail: string): void {
    this.#errors.push(errorAt(this.#source(section, option), detail));
  }
}

function splitList(text: string): string[] {
  return text.split(",").map((item) => item.trim()).filter(Boolean);
}

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    if (error instanceof Deno.errors.NotADirectory) return false;
    // Not ours to look at (no --allow-read): opening the file will say why.
    return true;
  }
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
