/**
 * The built-in commands, by name. Each is imported only when it runs, so
 * `aio config -g` does not pay for the runner, the servers or logging.
 *
 * @module
 */

import type { BuiltinCommandName } from "./names.ts";
import type { Command } from "./types.ts";

/** A built-in command's description and how to load it. */
export interface BuiltinCommand {
  /** One line for `aio --help`. */
  description: string;
  /** Imports the command's module. */
  load(): Promise<Command>;
}

/** aio's own commands, in the order `--help` lists them. */
export const BUILTIN_COMMANDS: Readonly<
  Record<BuiltinCommandName, BuiltinCommand>
> = {
  run: {
    description: "Run the app: modules, servers, schedules and listeners",
    load: async () => (await import("./run.ts")).runCommand,
  },
  config: {
    description: "Show the config, or get and set values in it",
    load: async () => (await import("./config.ts")).configCommand,
  },
  test: {
    description: "Run the tests of the configured modules",
    load: async () => (await import("./test.ts")).testCommand,
  },
  check: {
    description: "Load and validate everything run would, starting nothing",
    load: async () => (await import("./check.ts")).checkCommand,
  },
  compile: {
    description: "Build a standalone binary of the app with deno compile",
    load: async () => (await import("./compile.ts")).compileCommand,
  },
  permissions: {
    description:
      "Print the narrowest deno run permission flags this config needs",
    load: async () => (await import("./permissions.ts")).permissionsCommand,
  },
  unit: {
    description: "Print a systemd unit that runs this app",
    load: async () => (await import("./unit.ts")).unitCommand,
  },
};
