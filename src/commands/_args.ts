/**
 * The argument handling every built-in command shares: `-h/--help`, and
 * bad arguments as a usage error that names the command.
 *
 * @module
 */

import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { UsageError } from "../errors.ts";

/**
 * Parses a command's options with `node:util`'s parseArgs (no positionals);
 * a bad option is a {@linkcode UsageError} that names the command.
 */
export function parseOptions<T extends ParseArgsOptionsConfig>(
  command: string,
  args: string[],
  options: T,
): ReturnType<typeof parseArgs<{ args: string[]; options: T }>>["values"] {
  try {
    return parseArgs({ args, options }).values;
  } catch (error) {
    throw new UsageError(`${command}: ${(error as Error).message}`);
  }
}

/**
 * For a command that takes no options: prints `usage` and returns true when
 * the arguments ask for help; refuses any other argument unless the command
 * takes positionals.
 */
export function printHelp(
  command: string,
  args: string[],
  usage: string,
  options: { positionals?: boolean } = {},
): boolean {
  if (args.includes("-h") || args.includes("--help")) {
    console.log(usage);
    return true;
  }
  if (!options.positionals && args.length > 0) {
    throw new UsageError(
      `${command}: unrecognized arguments: ${args.join(" ")}`,
    );
  }
  return false;
}
