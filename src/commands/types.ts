/**
 * What a command is, for the built-in ones and the ones modules add.
 *
 * @module
 */

import type { ConfigSourceOptions } from "../config/layers.ts";

/** What the runner hands every command besides its arguments. */
export interface CommandContext {
  /** Where the user config comes from (`-c FILE`, a string, or the search). */
  source: ConfigSourceOptions;
  /** `--debug` was given: print stack traces. */
  debug: boolean;
  /**
   * The CLI is running: `run` waits for SIGINT/SIGTERM and stops the app.
   * From the library (`runner()`), `run` resolves once the app has started.
   */
  foreground: boolean;
}

/** A built-in command: its one-line description and what it does. */
export interface Command {
  /** One line for `aio --help`. */
  description: string;
  /** Runs the command; the number (default 0) is aio's exit code. */
  run(
    args: string[],
    context: CommandContext,
  ): Promise<number | void> | number | void;
}
