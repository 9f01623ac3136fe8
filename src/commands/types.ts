/**
 * What a command is, for the built-in ones and the ones modules add.
 *
 * @module
 */

import type { App } from "../app.ts";
import type { ConfigSourceOptions } from "../config/layers.ts";

/** What the runner hands every command besides its arguments. */
export interface CommandContext {
  /** The app the command works on. */
  app: App;
  /** The whole command line as the runner got it (global options included). */
  argv: readonly string[];
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

/** A command: its one-line description and what it does. */
export interface Command {
  /** One line for `aio help`. */
  description: string;
  /** What follows the name in its usage line (`NAME [--loud]`); a module command may set it. */
  usage?: string;
  /** Runs the command; the number (default 0) is aio's exit code. */
  run(
    args: string[],
    context: CommandContext,
  ): Promise<number | void> | number | void;
}

/**
 * A command a module adds with `[aio/commands] NAME = ./mod.ts#fn`: it gets
 * the arguments after its name and the loaded (not started) app; its number
 * is the exit code. Its description for `aio help` is a `description`
 * property, a `description` export beside it, or the first line of its JSDoc;
 * a `usage` property (`"NAME"`) completes its usage line, `aio greet NAME`.
 * It gets every argument after its name as it is (`--help` included), so
 * aio's global options go before the name.
 *
 * @example A `greet` command
 * ```ts
 * import type { ModuleCommand } from "@aio/app";
 * export const greet: ModuleCommand = (argv) => {
 *   console.log(`Hello, ${argv[0] ?? "world"}!`);
 *   return 0;
 * };
 * ```
 */
export type ModuleCommand = (
  argv: string[],
  app: App,
) => number | void | Promise<number | void>;
