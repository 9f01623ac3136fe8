/**
 * The names of aio's built-in commands: a leaf module, so the parts that
 * only need the names (a module may not take one) do not import the
 * commands themselves.
 *
 * @module
 */

/** aio's own commands, in the order `aio help` lists them. */
export const BUILTIN_COMMAND_NAMES = [
  "run",
  "config",
  "test",
  "check",
  "compile",
  "permissions",
  "unit",
  "stop",
  "reload",
  "status",
  "help",
] as const;

/** The name of a built-in command. */
export type BuiltinCommandName = typeof BUILTIN_COMMAND_NAMES[number];

/** Whether `name` is a built-in command's. */
export function isBuiltinCommand(name: string): name is BuiltinCommandName {
  return (BUILTIN_COMMAND_NAMES as readonly string[]).includes(name);
}
