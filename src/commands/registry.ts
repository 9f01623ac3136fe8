/**
 * The built-in commands, by name. Each is imported only when it runs, so
 * `aio config -g` does not pay for the runner, the servers or logging; its
 * command line ({@linkcode COMMAND_SPECS}) is data the runner reads first.
 *
 * @module
 */

import { type BuiltinCommandName, isBuiltinCommand } from "./names.ts";
import type { Command } from "./types.ts";
import type { CommandSpec } from "./_args.ts";
import { COMMAND_SPECS } from "./specs.ts";
import type { ConfigSourceOptions } from "../config/layers.ts";
import { mayAddCommands } from "./may_add_commands.ts";

/** A built-in command's command line and how to load it. */
export interface BuiltinCommand {
  /** Its options, arguments and help. */
  spec: CommandSpec;
  /**
   * Whether it works on the app: the runner imports the app (and with it
   * logging and the scheduler) only for a command that does.
   */
  usesApp:
    | boolean
    | ((source: ConfigSourceOptions, args: readonly string[]) => boolean);
  /** Imports the command's module. */
  load(): Promise<Command>;
}

/** aio's own commands, in the order `aio help` lists them. */
export const BUILTIN_COMMANDS: Readonly<
  Record<BuiltinCommandName, BuiltinCommand>
> = {
  run: {
    spec: COMMAND_SPECS.run,
    usesApp: true,
    load: async () => (await import("./run.ts")).runCommand,
  },
  config: {
    spec: COMMAND_SPECS.config,
    usesApp: false,
    load: async () => (await import("./config.ts")).configCommand,
  },
  test: {
    spec: COMMAND_SPECS.test,
    usesApp: true,
    load: async () => (await import("./test.ts")).testCommand,
  },
  check: {
    spec: COMMAND_SPECS.check,
    usesApp: true,
    load: async () => (await import("./check.ts")).checkCommand,
  },
  compile: {
    spec: COMMAND_SPECS.compile,
    usesApp: true,
    load: async () => (await import("./compile.ts")).compileCommand,
  },
  permissions: {
    spec: COMMAND_SPECS.permissions,
    usesApp: true,
    load: async () => (await import("./permissions.ts")).permissionsCommand,
  },
  unit: {
    spec: COMMAND_SPECS.unit,
    usesApp: true,
    load: async () => (await import("./unit.ts")).unitCommand,
  },
  stop: {
    spec: COMMAND_SPECS.stop,
    usesApp: false,
    load: async () => (await import("./stop.ts")).stopCommand,
  },
  reload: {
    spec: COMMAND_SPECS.reload,
    usesApp: false,
    load: async () => (await import("./reload.ts")).reloadCommand,
  },
  status: {
    spec: COMMAND_SPECS.status,
    usesApp: false,
    load: async () => (await import("./status.ts")).statusCommand,
  },
  help: {
    spec: COMMAND_SPECS.help,
    // Only to list or show the config's module commands.
    usesApp: (source, args) =>
      !(args.length === 1 && isBuiltinCommand(args[0])) &&
      mayAddCommands(source),
    load: async () => (await import("./help.ts")).helpCommand,
  },
};
