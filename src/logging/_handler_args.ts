/**
 * The FileHandler family's `args` and `kwargs`, bound to Python's
 * signatures as `klass(*args, **kwargs)` binds them, then checked:
 *
 * - `FileHandler(filename, mode='a', encoding=None, delay=False, errors=None)`
 * - `handlers.WatchedFileHandler(filename, mode='a', encoding=None, delay=False, errors=None)`
 * - `handlers.RotatingFileHandler(filename, mode='a', maxBytes=0, backupCount=0, encoding=None, delay=False, errors=None)`
 * - `handlers.TimedRotatingFileHandler(filename, when='h', interval=1, backupCount=0, encoding=None, delay=False, utc=False, atTime=None, errors=None)`
 *
 * `atTime` is a `datetime.time` in Python, which `args` cannot hold as
 * data: aio takes it as a string, `"HH:MM"` or `"HH:MM:SS"`.
 *
 * @module
 */

import { describe, type PyDict, type PyValue } from "./_args.ts";
import type { LogFileSpec, Rotation } from "./_log_file.ts";
import { parseWhen, type TimeOfDay } from "./_rotation.ts";

/** The classes of the FileHandler family, as aio names them internally. */
export type FileHandlerClass =
  | "FileHandler"
  | "WatchedFileHandler"
  | "RotatingFileHandler"
  | "TimedRotatingFileHandler";

const SIGNATURES: Readonly<Record<FileHandlerClass, readonly string[]>> = {
  FileHandler: ["filename", "mode", "encoding", "delay", "errors"],
  WatchedFileHandler: ["filename", "mode", "encoding", "delay", "errors"],
  RotatingFileHandler: [
    "filename",
    "mode",
    "maxBytes",
    "backupCount",
    "encoding",
    "delay",
    "errors",
  ],
  TimedRotatingFileHandler: [
    "filename",
    "when",
    "interval",
    "backupCount",
    "encoding",
    "delay",
    "utc",
    "atTime",
    "errors",
  ],
};

/** The examples error messages show, one per class. */
const EXAMPLES: Readonly<Record<FileHandlerClass, string>> = {
  FileHandler: `args = ("var/log/app.log", "a")`,
  WatchedFileHandler: `args = ("var/log/app.log", "a")`,
  RotatingFileHandler: `args = ("var/log/app.log", "a", 10485760, 5)`,
  TimedRotatingFileHandler: `args = ("var/log/app.log", "midnight", 1, 7)`,
};

/** Thrown for args that do not fit the class; the message is the detail after `[section] args: `. */
export class HandlerArgsError extends Error {
  /** Whether the problem is in `kwargs` rather than `args`. */
  readonly inKwargs: boolean;
  /** Creates the error. */
  constructor(message: string, inKwargs: boolean) {
    super(message);
    this.name = "HandlerArgsError";
    this.inKwargs = inKwargs;
  }
}

/**
 * Binds and checks a file handler's arguments.
 *
 * @example
 * ```ts ignore
 * bindFileHandlerArgs("RotatingFileHandler", ["app.log", "a", 1024, 3], new Map());
 * // { path: "app.log", mode: "a", delay: false, rotation: { kind: "size", maxBytes: 1024, backupCount: 3 } }
 * ```
 * @throws {HandlerArgsError} naming what is wrong
 */
export function bindFileHandlerArgs(
  className: FileHandlerClass,
  args: readonly PyValue[],
  kwargs: PyDict,
): LogFileSpec {
  const bound = bind(className, args, kwargs);
  const where = (name: string) => bound.fromKwargs.has(name);
  const fail = (name: string, detail: string): never => {
    throw new HandlerArgsError(detail, where(name));
  };
  const value = (name: string) => bound.values.get(name);

  const path = value("filename");
  if (typeof path !== "string" || path === "") {
    fail(
      "filename",
      `${className} needs a file name first: write ${EXAMPLES[className]}`,
    );
  }
  const encoding = value("encoding") ?? null;
  if (
    encoding !== null &&
    !(typeof encoding === "string" && /^utf-?8$/i.test(encoding))
  ) {
    fail(
      "encoding",
      `${className} writes UTF-8 only, not ${describe(encoding)}`,
    );
  }
  const errors = value("errors") ?? null;
  if (errors !== null && typeof errors !== "string") {
    fail("errors", `errors must be a string or None, not ${describe(errors)}`);
  }
  const delay = flag("delay", value("delay"), fail);
  let mode: "a" | "w" = "a";
  if (className !== "TimedRotatingFileHandler") {
    const given = value("mode") ?? "a";
    if (given !== "a" && given !== "w") {
      fail(
        "mode",
        `mode must be "a" (append) or "w" (truncate), not ${describe(given)}`,
      );
    }
    mode = given as "a" | "w";
  }
  let rotation: Rotation = { kind: "none" };
  if (className === "WatchedFileHandler") rotation = { kind: "watched" };
  if (className === "RotatingFileHandler") {
    const maxBytes = count("maxBytes", value("maxBytes") ?? 0, fail);
    const backupCount = count("backupCount", value("backupCount") ?? 0, fail);
    // As in Python: rotating a file that each start truncates would lose the old runs.
    if (maxBytes > 0) mode = "a";
    rotation = { kind: "size", maxBytes, backupCount };
  }
  if (className === "TimedRotatingFileHandler") {
    const whenText = value("when") ?? "h";
    const when = typeof whenText === "string" ? parseWhen(whenText) : undefined;
    if (when === undefined) {
      fail(
        "when",
        `when must be one of 'S', 'M', 'H', 'D', 'midnight' or 'W0'-'W6', not ${
          describe(whenText)
        }`,
      );
    }
    const interval = count("interval", value("interval") ?? 1, fail);
    if (interval < 1) fail("interval", "interval must be 1 or more");
    const backupCount = count("backupCount", value("backupCount") ?? 0, fail);
    const utc = flag("utc", value("utc"), fail);
    const atTime = timeOfDay(value("atTime") ?? null, fail);
    rotation = {
      kind: "time",
      schedule: { when: when!, interval, utc, atTime },
      backupCount,
    };
  }
  return { path: path as string, mode, delay, rotation };
}

interface Bound {
  values: Map<string, PyValue>;
  fromKwargs: Set<string>;
}

// Python's binding of positional and keyword arguments, with its errors.
function bind(
  className: FileHandlerClass,
  args: readonly PyValue[],
  kwargs: PyDict,
): Bound {
  const names = SIGNATURES[className];
  const signature = `${className}(${names.join(", ")})`;
  if (args.length > names.length) {
    throw new HandlerArgsError(
      `${className} takes at most ${names.length} arguments, not ${args.length}: ${signature}`,
      false,
    );
  }
  const values = new Map<string, PyValue>();
  args.forEach((arg, index) => values.set(names[index], arg));
  const fromKwargs = new Set<string>();
  for (const [key, arg] of kwargs) {
    if (typeof key !== "string" || !names.includes(key)) {
      throw new HandlerArgsError(
        `${className} has no argument ${
          typeof key === "string" ? `'${key}'` : describe(key)
        }: ${signature}`,
        true,
      );
    }
    if (values.has(key)) {
      throw new HandlerArgsError(
        `${className} got two values for '${key}' (in args and in kwargs)`,
        true,
      );
    }
    values.set(key, arg);
    fromKwargs.add(key);
  }
  return { values, fromKwargs };
}

type Fail = (name: string, detail: string) => never;

function flag(name: string, value: PyValue | undefined, fail: Fail): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === "boolean") return value;
  if (value === 0 || value === 1) return value === 1;
  return fail(name, `${name} must be True or False, not ${describe(value)}`);
}

function count(name: string, value: PyValue, fail: Fail): number {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) {
    return value;
  }
  return fail(
    name,
    `${name} must be a whole number, 0 or more, not ${describe(value)}`,
  );
}

function timeOfDay(value: PyValue, fail: Fail): TimeOfDay | undefined {
  if (value === null) return undefined;
  const match = typeof value === "string"
    ? /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim())
    : null;
  const [hour, minute, second] = match
    ? [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)]
    : [NaN, NaN, NaN];
  if (!(hour <= 23 && minute <= 59 && second <= 59)) {
    return fail(
      "atTime",
      `atTime must be a time of day as "HH:MM" or "HH:MM:SS" (Python's datetime.time cannot be written as data), not ${
        describe(value)
      }`,
    );
  }
  return { hour, minute, second };
}
