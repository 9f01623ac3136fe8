/**
 * Collecting config problems: every part of aio that reads the config
 * reports into one {@linkcode Problems}, so `aio run` and `aio check` find
 * every problem in one pass and report them together.
 *
 * @module
 */

import { ConfigError } from "./errors.ts";

/**
 * Several config problems found at once (by `aio check`, or at start-up).
 *
 * @example Listing every problem a start found
 * ```ts
 * import { app, ConfigErrors, runner } from "@aio/app";
 * try {
 *   await runner(["run"], { configString: "[aio]\nshutdown_timeout = soon\n" });
 * } catch (error) {
 *   const problems = error instanceof ConfigErrors ? error.errors : [error];
 *   for (const problem of problems) console.error(String(problem));
 * } finally {
 *   await app.clear();
 * }
 * ```
 */
export class ConfigErrors extends AggregateError {
  /** The problems, each a ConfigError. */
  declare readonly errors: ConfigError[];
  /** Collects `errors`. */
  constructor(errors: ConfigError[]) {
    super(errors, errors.map((error) => error.message).join("\n"));
    this.name = "ConfigErrors";
  }
}

/**
 * The errors and warnings found while reading a config. Each is kept once:
 * several parts may read one bad value (the built-in logging sections all
 * refer to `[aio] log_level`), and the user should read its error once.
 *
 * @example Collecting and throwing
 * ```ts
 * import { Problems } from "./problems.ts";
 * import { ConfigError } from "./errors.ts";
 * const problems = new Problems();
 * problems.collect(() => {
 *   throw new ConfigError("[aio] log_level: unknown level", { source: "app.conf", line: 2 });
 * });
 * console.log(problems.errors.length); // 1
 * ```
 */
export class Problems {
  /** Problems that stop `aio run` (exit 78). */
  readonly errors: ConfigError[] = [];
  /** Problems `aio check` lists but that do not stop a run. */
  readonly warnings: ConfigError[] = [];

  readonly #seen = new Set<string>();

  /** Adds an error (unless the same one is there already). */
  error(error: ConfigError): void {
    if (this.#isNew("error", error)) this.errors.push(error);
  }

  /** Adds a warning (unless the same one is there already). */
  warn(warning: ConfigError): void {
    if (this.#isNew("warning", warning)) this.warnings.push(warning);
  }

  /**
   * Runs `fn`; a {@linkcode ConfigError} or {@linkcode ConfigErrors} it
   * throws is collected (and `undefined` returned), anything else rethrown.
   */
  collect<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (error) {
      this.#take(error);
      return undefined;
    }
  }

  /** {@linkcode Problems.collect} for an async `fn`. */
  async collectAsync<T>(fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (error) {
      this.#take(error);
      return undefined;
    }
  }

  /** Whether any error was found. */
  get failed(): boolean {
    return this.errors.length > 0;
  }

  /**
   * Throws the one error, or a {@linkcode ConfigErrors} of several in the
   * order of the files and lines they are about; nothing when there is none.
   */
  throwIfAny(): void {
    if (this.errors.length === 1) throw this.errors[0];
    if (this.errors.length > 1) {
      throw new ConfigErrors(inFileOrder(this.errors));
    }
  }

  /** The warnings in the order of the files and lines they are about. */
  sortedWarnings(): ConfigError[] {
    return inFileOrder(this.warnings);
  }

  #take(error: unknown): void {
    if (error instanceof ConfigError) this.error(error);
    else if (error instanceof ConfigErrors) {
      for (const one of error.errors) this.error(one);
    } else throw error;
  }

  #isNew(kind: string, problem: ConfigError): boolean {
    const key = `${kind}\n${problem.message}`;
    if (this.#seen.has(key)) return false;
    this.#seen.add(key);
    return true;
  }
}

/** `errors` sorted by line within each file, files in the order they first appear. */
function inFileOrder(errors: readonly ConfigError[]): ConfigError[] {
  const files = new Map<string, number>();
  for (const error of errors) {
    if (!files.has(error.source)) files.set(error.source, files.size);
  }
  return [...errors].sort((a, b) =>
    files.get(a.source)! - files.get(b.source)! || a.line - b.line
  );
}
