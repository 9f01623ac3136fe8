/**
 * `aio help [COMMAND]`: aio's help page (its commands, the config's module
 * commands among them, and its global options), or one command's.
 *
 * @module
 */

import { describeFailure } from "../errors.ts";
import { closest } from "../suggest.ts";
import {
  ArgumentError,
  formatHelp,
  invalidChoice,
  optionRows,
  parseArgs,
  table,
  usageText,
} from "./_args.ts";
import { isBuiltinCommand } from "./names.ts";
import { AIO_SPEC, COMMAND_SPECS } from "./specs.ts";
import type { Command, CommandContext } from "./types.ts";
import { mayAddCommands } from "./may_add_commands.ts";

/** The `help` command. */
export const helpCommand: Command = {
  description: COMMAND_SPECS.help.summary,
  async run(args: string[], context: CommandContext): Promise<number> {
    const { positionals } = parseArgs(COMMAND_SPECS.help, args);
    if (positionals.length > 1) {
      throw new ArgumentError(
        COMMAND_SPECS.help,
        `unrecognized argument '${positionals[1]}'`,
      );
    }
    const [name] = positionals;
    console.log(
      name === undefined
        ? await aioHelp(context)
        : await commandHelp(name, context),
    );
    return 0;
  },
};

/** aio's own help page: usage, commands (module ones too), global options. */
export async function aioHelp(context: CommandContext): Promise<string> {
  const builtins = Object.values(COMMAND_SPECS).map((
    spec,
  ): [string, string] => [spec.name, spec.summary]);
  const parts = [usageText(AIO_SPEC), AIO_SPEC.description];
  parts.push(`commands:\n${table(builtins)}`);
  try {
    const commands = await moduleCommands(context);
    if (commands.size > 0) {
      parts.push(
        `module commands (from [aio/commands]):\n${
          table(
            [...commands].map(([name, command]) => [name, command.description]),
          )
        }`,
      );
    }
  } catch (error) {
    // Help must work when the config is broken; say why module commands are missing.
    parts.push(`(module commands not listed: ${describeFailure(error).text})`);
  }
  parts.push(
    `global options (before or after a built-in command's name):\n${
      table([
        ["-h, --help", "show this help and exit (after a command: its help)"],
        ...optionRows(AIO_SPEC.options),
      ])
    }`,
  );
  parts.push(
    "Run 'aio help COMMAND' or 'aio COMMAND --help' for a command's options and examples.",
  );
  return parts.join("\n\n");
}

/** One command's help page: a built-in's from its table, a module command's from its description. */
export async function commandHelp(
  name: string,
  context: CommandContext,
): Promise<string> {
  if (isBuiltinCommand(name)) return formatHelp(COMMAND_SPECS[name]);
  let commands: Map<string, Command>;
  try {
    commands = await moduleCommands(context);
  } catch (error) {
    // The config is broken: a slip of a built-in's name is still a usage error.
    const near = closest(name, Object.keys(COMMAND_SPECS));
    if (near !== undefined) {
      throw new ArgumentError(
        COMMAND_SPECS.help,
        invalidChoice(name, Object.keys(COMMAND_SPECS)),
      );
    }
    throw error;
  }
  const command = commands.get(name);
  if (!command) {
    throw new ArgumentError(
      COMMAND_SPECS.help,
      invalidChoice(name, [...Object.keys(COMMAND_SPECS), ...commands.keys()]),
    );
  }
  return [
    `usage: aio ${name} ${command.usage ?? "[ARGS ...]"}`,
    command.description || "(no description)",
    "A module command (from [aio/commands]): it gets every argument after its\nname as it is, so aio's global options go before the name.",
  ].join("\n\n");
}

/** The config's module commands; empty, without loading the app, when the config cannot add any. */
async function moduleCommands(
  context: CommandContext,
): Promise<Map<string, Command>> {
  if (!mayAddCommands(context.source)) return new Map();
  const { loadModuleCommands } = await import("./module_commands.ts");
  try {
    // Help only reads: the log files are checked, not created.
    return await loadModuleCommands(context, { openLogFiles: false });
  } finally {
    await context.app.clear();
  }
}
