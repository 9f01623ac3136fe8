/**
 * Formatters that turn a LogTape record into one line: Python's `%(...)s`
 * layout with `datefmt`, and a JSON-lines layout for log shippers.
 *
 * @module
 */

import type { LogLevel, LogRecord } from "@logtape/logtape";
import { fileURLToPath } from "node:url";
import { cachedStrftime, DEFAULT_DATE_FORMAT } from "./_strftime.ts";

/** Turns a record into its text, without the line end. */
export type RecordFormatter = (record: LogRecord) => string;

/** Python's level names for LogTape's levels (`fatal` is CRITICAL). */
export const LEVEL_NAMES: Readonly<Record<LogLevel, string>> = {
  trace: "TRACE",
  debug: "DEBUG",
  info: "INFO",
  warning: "WARNING",
  error: "ERROR",
  fatal: "CRITICAL",
};

/** Python's level numbers for LogTape's levels (TRACE is 5, below DEBUG). */
export const LEVEL_NUMBERS: Readonly<Record<LogLevel, number>> = {
  trace: 5,
  debug: 10,
  info: 20,
  warning: 30,
  error: 40,
  fatal: 50,
};

const COLORS: Readonly<Record<LogLevel, string>> = {
  trace: "\x1b[2m",
  debug: "\x1b[34m",
  info: "\x1b[32m",
  warning: "\x1b[33m",
  error: "\x1b[31m",
  fatal: "\x1b[1;31m",
};
const RESET = "\x1b[0m";

const START = Date.now();

type Kind = "str" | "int" | "float";

interface Field {
  kind: Kind;
  get(record: LogRecord, formatter: TextContext): string | number;
}

interface TextContext {
  asctime(timestamp: number): string;
}

/** The name Python shows for a category: dotted, `root` for the root logger. */
export function loggerName(category: readonly string[]): string {
  return category.length === 0 ? "root" : category.join(".");
}

interface CallSite {
  path: string;
  line: number;
}

const callSites = new WeakMap<LogRecord, CallSite>();
const UNKNOWN_SITE: CallSite = { path: "(unknown file)", line: 0 };
// This folder and src/logging.ts: frames of ours, never the caller.
const OWN_PREFIX = new URL("../logging", import.meta.url).href;

/**
 * Where the logging call was made, as Python's `findCaller` finds it: the
 * first frame of the current stack outside LogTape and this module. Sinks
 * run inside the logging call, so the caller is on the stack; LogTape's own
 * capture would stop at aio's logger wrapper instead.
 */
function callSite(record: LogRecord): CallSite {
  let site = callSites.get(record);
  if (site) return site;
  const captured = record.sourceLocation;
  // A location LogTape captured through aio's wrapper points at the wrapper.
  site = captured && !captured.file.startsWith(OWN_PREFIX)
    ? { path: toPath(captured.file), line: captured.line }
    : findCaller();
  callSites.set(record, site);
  return site;
}

function findCaller(): CallSite {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 64;
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = limit;
  for (const line of stack.split("\n").slice(1)) {
    const match =
      /\(?((?:file|https?|data|npm|jsr):[^\s()]*?|\/[^\s()]*?):(\d+):\d+\)?$/
        .exec(line);
    if (!match) continue;
    const file = match[1];
    if (file.startsWith(OWN_PREFIX) || file.includes("/@logtape/logtape/")) {
      continue;
    }
    return { path: toPath(file), line: Number(match[2]) };
  }
  return UNKNOWN_SITE;
}

function toPath(file: string): string {
  return file.startsWith("file:") ? fileURLToPath(file) : file;
}

function fileName(record: LogRecord): string {
  const path = callSite(record).path;
  return path.slice(path.lastIndexOf("/") + 1);
}

const FIELDS: Readonly<Record<string, Field>> = {
  asctime: { kind: "str", get: (r, c) => c.asctime(r.timestamp) },
  created: { kind: "float", get: (r) => r.timestamp / 1000 },
  filename: { kind: "str", get: fileName },
  levelname: { kind: "str", get: (r) => LEVEL_NAMES[r.level] },
  levelno: { kind: "int", get: (r) => LEVEL_NUMBERS[r.level] },
  lineno: { kind: "int", get: (r) => callSite(r).line },
  message: { kind: "str", get: (r) => renderMessage(r) },
  module: {
    kind: "str",
    get: (r) => fileName(r).replace(/\.[^.]*$/, ""),
  },
  msecs: { kind: "float", get: (r) => r.timestamp % 1000 },
  name: { kind: "str", get: (r) => loggerName(r.category) },
  pathname: { kind: "str", get: (r) => callSite(r).path },
  process: { kind: "int", get: () => Deno.pid },
  processName: { kind: "str", get: () => "MainProcess" },
  relativeCreated: { kind: "float", get: (r) => r.timestamp - START },
  thread: { kind: "int", get: () => 0 },
  threadName: { kind: "str", get: () => "MainThread" },
};

/** The `%(...)s` field names a format may use. */
export const FIELD_NAMES: readonly string[] = Object.keys(FIELDS);

/** Thrown for a format string Python would refuse; the message says where. */
export class FormatSyntaxError extends Error {
  /** Creates the error; `message` is one line. */
  constructor(message: string) {
    super(message);
    this.name = "FormatSyntaxError";
  }
}

/** Options for {@linkcode compileTextFormatter}. */
export interface TextFormatterOptions {
  /** Python's `datefmt` for `%(asctime)s`; by default `YYYY-MM-DD HH:MM:SS,mmm`. */
  datefmt?: string;
  /** Wrap the level name in ANSI colour. */
  color?: boolean;
}

const PLACEHOLDER =
  /%(?:\(([^)]*)\)([#0\- +]*)(\d+)?(?:\.(\d+))?[hlL]?([diouxXeEfFgGcrsa%])?|%|)/g;

type Part = string | ((record: LogRecord, context: TextContext) => string);

/**
 * Compiles a Python `%`-style log format such as
 * `%(asctime)s %(levelname)-8s %(name)s: %(message)s`.
 *
 * @example
 * ```ts
 * const format = compileTextFormatter("%(levelname)s(%(name)s): %(message)s");
 * ```
 * @throws {FormatSyntaxError} for an unknown field or a bad placeholder
 */
export function compileTextFormatter(
  pattern: string,
  options: TextFormatterOptions = {},
): RecordFormatter {
  const parts: Part[] = [];
  let last = 0;
  for (const match of pattern.matchAll(PLACEHOLDER)) {
    const [whole, name, flags, width, precision, type] = match;
    if (match.index > last) parts.push(pattern.slice(last, match.index));
    last = match.index + whole.length;
    const column = match.index + 1;
    if (whole === "%%") {
      parts.push("%");
      continue;
    }
    if (name === undefined) {
      throw new FormatSyntaxError(
        `bad placeholder at column ${column}: write %(name)s, or %% for a percent sign`,
      );
    }
    if (type === undefined || type === "%") {
      throw new FormatSyntaxError(
        `placeholder %(${name}) at column ${column} has no type: write %(${name})s`,
      );
    }
    const field = FIELDS[name];
    if (!field) {
      throw new FormatSyntaxError(
        `unknown field %(${name})${type} at column ${column}: use one of ${
          FIELD_NAMES.join(", ")
        }`,
      );
    }
    if (/[diouxXeEfFgGc]/.test(type) && field.kind === "str") {
      throw new FormatSyntaxError(
        `field %(${name})${type} at column ${column} is text: write %(${name})s`,
      );
    }
    const spec: Spec = {
      flags,
      width: width === undefined ? 0 : Number(width),
      precision: precision === undefined ? undefined : Number(precision),
      type,
    };
    const color = options.color && name === "levelname";
    parts.push((record, context) => {
      const text = applySpec(spec, field.get(record, context), field.kind);
      return color ? COLORS[record.level] + text + RESET : text;
    });
  }
  if (last < pattern.length) parts.push(pattern.slice(last));
  const context: TextContext = { asctime: asctimeFormatter(options.datefmt) };
  return joinParts(parts, context);
}

function joinParts(parts: Part[], context: TextContext): RecordFormatter {
  return (record) => {
    let text = "";
    for (const part of parts) {
      text += typeof part === "string" ? part : part(record, context);
    }
    const error = record.properties.error;
    // Python appends the traceback of a logged exception after the line.
    if (error instanceof Error && error.stack) text += `\n${error.stack}`;
    return text;
  };
}

function asctimeFormatter(datefmt?: string): (timestamp: number) => string {
  if (datefmt !== undefined && datefmt !== "") return cachedStrftime(datefmt);
  const seconds = cachedStrftime(DEFAULT_DATE_FORMAT);
  return (timestamp) =>
    `${seconds(timestamp)},${String(timestamp % 1000).padStart(3, "0")}`;
}

interface Spec {
  flags: string;
  width: number;
  precision: number | undefined;
  type: string;
}

function pyStr(value: string | number, kind: Kind): string {
  if (typeof value === "string") return value;
  if (kind === "float" && Number.isInteger(value)) return value.toFixed(1);
  return String(value);
}

function pyRepr(value: string | number, kind: Kind): string {
  if (typeof value !== "string") return pyStr(value, kind);
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  const body = value.replaceAll("\\", "\\\\").replaceAll("\n", "\\n")
    .replaceAll(quote, `\\${quote}`);
  return `${quote}${body}${quote}`;
}

function pyExponent(text: string): string {
  // JS writes 1.5e+3; Python writes 1.5e+03.
  return text.replace(/e([+-])(\d)$/, "e$10$2");
}

function formatNumber(value: number, spec: Spec): string {
  const { type, precision } = spec;
  const abs = Math.abs(value);
  let body: string;
  switch (type) {
    case "d":
    case "i":
    case "u":
      body = String(Math.trunc(abs));
      break;
    case "x":
      body = Math.trunc(abs).toString(16);
      break;
    case "X":
      body = Math.trunc(abs).toString(16).toUpperCase();
      break;
    case "o":
      body = Math.trunc(abs).toString(8);
      break;
    case "e":
    case "E":
      body = pyExponent(abs.toExponential(precision ?? 6));
      if (type === "E") body = body.toUpperCase();
      break;
    case "g":
    case "G":
      body = String(Number(abs.toPrecision(precision || 6)));
      if (type === "G") body = body.toUpperCase();
      break;
    case "c":
      return String.fromCodePoint(Math.trunc(value));
    default:
      body = abs.toFixed(precision ?? 6);
  }
  const negative = value < 0 || Object.is(value, -0);
  const sign = negative
    ? "-"
    : spec.flags.includes("+")
    ? "+"
    : spec.flags.includes(" ")
    ? " "
    : "";
  if (spec.flags.includes("0") && !spec.flags.includes("-")) {
    body = body.padStart(spec.width - sign.length, "0");
  }
  return sign + body;
}

function applySpec(spec: Spec, value: string | number, kind: Kind): string {
  let text: string;
  if (spec.type === "s" || spec.type === "r" || spec.type === "a") {
    text = spec.type === "s" ? pyStr(value, kind) : pyRepr(value, kind);
    if (spec.precision !== undefined) text = text.slice(0, spec.precision);
  } else {
    text = formatNumber(value as number, spec);
  }
  if (text.length >= spec.width) return text;
  return spec.flags.includes("-")
    ? text.padEnd(spec.width)
    : text.padStart(spec.width);
}

/**
 * The text of a record's message: the template with its values put in.
 * Strings go in as they are (as Python's `%s` does), errors as
 * `Name: message`, anything else as `Deno.inspect` shows it.
 */
export function renderMessage(record: LogRecord): string {
  const message = record.message;
  if (message.length === 1) return String(message[0]);
  let text = "";
  for (let i = 0; i < message.length; i++) {
    text += i % 2 === 0 ? message[i] as string : renderValue(message[i]);
  }
  return text;
}

function renderValue(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (typeof value !== "object" && typeof value !== "function") {
    return String(value);
  }
  if (value === null) return "null";
  return Deno.inspect(value, {
    colors: false,
    compact: true,
    breakLength: Infinity,
    depth: 4,
  });
}

/**
 * The `json` formatter: one object per line with `time` (ISO 8601, UTC),
 * `level` (Python's name), `logger` (the dotted name), `message`, and
 * `properties` when the record has any. Errors become
 * `{name, message, stack}`.
 *
 * @example Output
 * ```json
 * {"time":"2024-05-01T12:00:00.000Z","level":"INFO","logger":"aio.web","message":"Listening on 8080","properties":{"port":8080}}
 * ```
 */
export function jsonFormatter(record: LogRecord): string {
  const line: Record<string, unknown> = {
    time: new Date(record.timestamp).toISOString(),
    level: LEVEL_NAMES[record.level],
    logger: loggerName(record.category),
    message: renderMessage(record),
  };
  const properties = record.properties;
  for (const _ in properties) {
    line.properties = properties;
    break;
  }
  try {
    return JSON.stringify(line, jsonValue);
  } catch {
    // A cycle or a throwing getter: fall back to each property's inspected text.
    line.properties = Object.fromEntries(
      Object.entries(properties).map((
        [key, value],
      ) => [key, renderValue(value)]),
    );
    return JSON.stringify(line);
  }
}

function jsonValue(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message, stack: value.stack };
  }
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Set) return [...value];
  return value;
}
