/**
 * The errors that map to aio's exit codes (SPEC 8): 1 for a runtime
 * failure, 2 for bad usage, 78 for a config error.
 *
 * @module
 */

import { ConfigError } from "./config/errors.ts";
import { ConfigErrors } from "./config/problems.ts";

export { ConfigErrors } from "./config/problems.ts";

/** Exit codes, as SPEC 8 and sysexits define them. */
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

/** A runtime failure users can act on; printed as one line, exit 1. */
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

/** Bad command-line usage; printed after the usage line, exit 2. */
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
  return {
    text: `aio: error: ${firstLine(message)}`,
    exitCode: ExitCode.FAILURE,
  };
}

/** The first line of a message, so no error spreads over the terminal. */
export function firstLine(text: string): string {
  const end = text.indexOf("\n");
  return end < 0 ? text : text.slice(0, end);
}
