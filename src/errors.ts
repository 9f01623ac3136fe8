/**
 * The errors that map to aio's exit codes (SPEC 8): 1 for a runtime
 * failure, 2 for bad usage, 78 for a config error.
 *
 * @module
 */

import { ConfigError } from "./config/errors.ts";
import { ConfigErrors } from "./config/problems.ts";

export { ConfigErrors } from "./config/problems.ts";

/**
 * Exit codes, as SPEC 8 and sysexits define them.
 *
 * @example Telling a bad config from a crash
 * ```ts
 * import { ExitCode } from "@aio/app";
 * const { code } = await new Deno.Command("aio", { args: ["check"] }).output()
 *   .catch(() => ({ code: ExitCode.FAILURE }));
 * if (code === ExitCode.CONFIG) console.error("fix the config first");
 * ```
 */
export const ExitCode = {
  /** Everything went well. */
  OK: 0,
  /** A runtime failure. */
  FAILURE: 1,
  /** Bad command-line usage. */
  USAGE: 2,
  /** A config error (sysexits' EX_CONFIG). */
  CONFIG: 78,
} as const;

/**
 * A runtime failure users can act on; printed as one line, exit 1 (or the
 * code given).
 *
 * @example Failing a module command with a clear line
 * ```ts
 * import { AioError } from "@aio/app";
 * export function deploy(argv: string[]): number {
 *   if (argv.length === 0) throw new AioError("deploy: name a target");
 *   return 0;
 * }
 * ```
 */
export class AioError extends Error {
  /** The exit code this error ends the process with. */
  readonly exitCode: number;
  /** Creates an error that ends the process with `exitCode` (default 1). */
  constructor(
    message: string,
    options: { exitCode?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "AioError";
    this.exitCode = options.exitCode ?? ExitCode.FAILURE;
  }
}

/**
 * Bad command-line usage; printed after the usage line, exit 2.
 *
 * @example Refusing an argument in a module command
 * ```ts
 * import { UsageError } from "@aio/app";
 * export function greet(argv: string[]): number {
 *   if (argv.length > 1) throw new UsageError("greet: takes one name");
 *   console.log(`Hello, ${argv[0] ?? "world"}!`);
 *   return 0;
 * }
 * ```
 */
export class UsageError extends AioError {
  /** Creates a usage error. */
  constructor(message: string) {
    super(message, { exitCode: ExitCode.USAGE });
    this.name = "UsageError";
  }
}

/** The one-line (or, for several config errors, one line each) text and exit code for an error. */
export function describeFailure(
  error: unknown,
): { text: string; exitCode: number } {
  if (error instanceof ConfigErrors) {
    return {
      text: error.errors.map((e) => `aio: config error: ${e.message}`).join(
        "\n",
      ),
      exitCode: ExitCode.CONFIG,
    };
  }
  if (error instanceof ConfigError) {
    return {
      text: `aio: config error: ${error.message}`,
      exitCode: ExitCode.CONFIG,
    };
  }
  if (error instanceof AioError) {
    return { text: `aio: error: ${error.message}`, exitCode: error.exitCode };
  }
  const message = error instanceof Error ? error.message : String(error);
  // Deno's own "run again with the --allow-x flag" is right but not the whole
  // story: aio can print every flag the config needs at once.
  const hint = error instanceof Deno.errors.NotCapable
    ? " (`aio permissions` prints the flags this config needs; `aio permissions -d` those of run -d, stop and status)"
    : "";
  return {
    text: `aio: error: ${firstLine(message)}${hint}`,
    exitCode: ExitCode.FAILURE,
  };
}

/** The first line of a message, so no error spreads over the terminal. */
export function firstLine(text: string): string {
  const end = text.indexOf("\n");
  return end < 0 ? text : text.slice(0, end);
}
