/**
 * A LogTape logger with a fast exit for disabled levels. LogTape decides
 * per call whether a record is dropped (a walk up the category tree and a
 * few global look-ups, a few hundred ns); this wrapper remembers the answer
 * per level for as long as LogTape's configuration object stays the same.
 *
 * @module
 */

import {
  getConfig,
  type Logger,
  type LogLevel,
  type LogRecord,
} from "@logtape/logtape";

const LEVELS: readonly LogLevel[] = [
  "trace",
  "debug",
  "info",
  "warning",
  "error",
  "fatal",
];

// deno-lint-ignore no-explicit-any
type Args = any[];

/** Wraps a LogTape logger; every call goes to it unless its level is off. */
export class FastLogger implements Logger {
  #inner: Logger;
  #config: unknown = undefined;
  // Bit n set: level n is dropped under #config.
  #dropped = 0;

  /** Wraps `inner`. */
  constructor(inner: Logger) {
    this.#inner = inner;
  }

  /** The LogTape category. */
  get category(): readonly string[] {
    return this.#inner.category;
  }

  /** The parent logger, or null for the root. */
  get parent(): Logger | null {
    const parent = this.#inner.parent;
    return parent === null ? null : new FastLogger(parent);
  }

  /** A logger for a subcategory. */
  getChild(
    subcategory: string | readonly [string] | readonly [string, ...string[]],
  ): Logger {
    return new FastLogger(this.#inner.getChild(subcategory));
  }

  /** A logger that adds `properties` to every record. */
  with(properties: Record<string, unknown>): Logger {
    return new FastLogger(this.#inner.with(properties));
  }

  /** Logs at TRACE. */
  // deno-lint-ignore no-explicit-any
  trace(...args: Args): any {
    if (this.#isDropped(0)) return dropped(args);
    return (this.#inner.trace as (...args: Args) => unknown)(...args);
  }

  /** Logs at DEBUG. */
  // deno-lint-ignore no-explicit-any
  debug(...args: Args): any {
    if (this.#isDropped(1)) return dropped(args);
    return (this.#inner.debug as (...args: Args) => unknown)(...args);
  }

  /** Logs at INFO. */
  // deno-lint-ignore no-explicit-any
  info(...args: Args): any {
    if (this.#isDropped(2)) return dropped(args);
    return (this.#inner.info as (...args: Args) => unknown)(...args);
  }

  /** Logs at WARNING. */
  // deno-lint-ignore no-explicit-any
  warn(...args: Args): any {
    if (this.#isDropped(3)) return dropped(args);
    return (this.#inner.warn as (...args: Args) => unknown)(...args);
  }

  /** Logs at WARNING. */
  // deno-lint-ignore no-explicit-any
  warning(...args: Args): any {
    if (this.#isDropped(3)) return dropped(args);
    return (this.#inner.warning as (...args: Args) => unknown)(...args);
  }

  /** Logs at ERROR. */
  // deno-lint-ignore no-explicit-any
  error(...args: Args): any {
    if (this.#isDropped(4)) return dropped(args);
    return (this.#inner.error as (...args: Args) => unknown)(...args);
  }

  /** Logs at CRITICAL (LogTape's fatal). */
  // deno-lint-ignore no-explicit-any
  fatal(...args: Args): any {
    if (this.#isDropped(5)) return dropped(args);
    return (this.#inner.fatal as (...args: Args) => unknown)(...args);
  }

  /** Sends a ready-made record. */
  emit(record: Omit<LogRecord, "category">): void {
    this.#inner.emit(record);
  }

  /** Whether a record at `level` would reach a sink. */
  isEnabledFor(level: LogLevel): boolean {
    return this.#inner.isEnabledFor(level);
  }

  #isDropped(rank: number): boolean {
    const config = getConfig();
    if (config !== this.#config) this.#learn(config);
    return (this.#dropped & (1 << rank)) !== 0;
  }

  #learn(config: ReturnType<typeof getConfig>): void {
    this.#dropped = 0;
    // With context-local storage, scoped configs and category prefixes can
    // change the answer per call: leave every decision to LogTape then.
    this.#config = config?.contextLocalStorage === undefined
      ? config
      : undefined;
    if (this.#config !== config) return;
    LEVELS.forEach((level, rank) => {
      if (!this.#inner.isEnabledFor(level)) this.#dropped |= 1 << rank;
    });
  }
}

// What LogTape returns for a dropped call: a resolved promise when the
// properties come from a callback, so `await logger.debug(..., async () => ...)` works.
function dropped(args: Args): Promise<void> | undefined {
  return typeof args[0] === "string" && typeof args[1] === "function"
    ? Promise.resolve()
    : undefined;
}
