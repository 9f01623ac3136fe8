/**
 * From argv to a command: global options, the command's name, its exit code.
 *
 * @module
 */

import type { ConfigSourceOptions } from "./config/layers.ts";
import { BUILTIN_COMMANDS } from "./commands/registry.ts";
import { isBuiltinCommand } from "./commands/names.ts";
import type { Command, CommandContext } from "./commands/types.ts";
import { describeFailure, ExitCode, UsageError } from "./errors.ts";
import { VERSION } from "./version.ts";
import { exitAfterFlush } from "./exit.ts";
import { app } from "./app.ts";

/** Options for {@linkcode runner}: where the config comes from. */
export interface RunnerOptions extends ConfigSourceOptions {
  /** Wait for SIGINT/SIGTERM after `run` starts the app (the CLI does; the library does not). */
  foreground?: boolean;
}

/** The global options, parsed from the front of argv. */
export interface GlobalArgs {
  /** `-c FILE` / `--config FILE`. */
  configFile?: string;
  /** `--debug`. */
  debug: boolean;
  /** `-h` / `--help`. */
  help: boolean;
  /** `-V` / `--version`. */
  version: boolean;
  /** The command's name, if one was given. */
  command?: string;
  /** Everything after the command's name. */
  args: string[];
}

/** The usage line, as `aio` prints it. */
export function usageLine(
  commands: readonly string[] = Object.keys(BUILTIN_COMMANDS),
): string {
  return `usage: aio [-h] [-V] [--debug] [-c FILE] {${commands.join(",")}} ...`;
}

/** Parses aio's global options; everything from the command's name on is left for the command. */
export function parseGlobalArgs(argv: readonly string[]): GlobalArgs {
  const parsed: GlobalArgs = {
    debug: false,
    help: false,
    version: false,
    args: [],
  };
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    if (arg === "-h" || arg === "--help") parsed.help = true;
    else if (arg === "-V" || arg === "--version") parsed.version = true;
    else if (arg === "--debug") parsed.debug = true;
    else if (arg === "-c" || arg === "--config") {
      const file = argv[++index];
      if (file === undefined || file === "") {
        throw new UsageError(`argument ${arg}: expected one argument`);
      }
      parsed.configFile = file;
    } else if (arg.startsWith("--config=")) {
      parsed.configFile = arg.slice("--config=".length);
    } else if (arg.startsWith("-c") && arg.length > 2) {
      parsed.configFile = arg.slice(2);
    } else if (arg === "--") {
      parsed.command = argv[index + 1];
      parsed.args = argv.slice(index + 2);
      break;
    } else if (arg.startsWith("-") && arg !== "-") {
      throw new UsageError(`unrecognized argument: ${arg}`);
    } else {
      parsed.command = arg;
      parsed.args = argv.slice(index + 1);
      break;
    }
  }
  return parsed;
}

/**
 * Runs one aio command as the CLI would, from the library. Config errors
 * throw {@linkcode ConfigError}; usage errors throw {@linkcode UsageError}.
 * `runner(["run"], ...)` resolves once the app has started; stop it with
 * `app.clear()`.
 *
 * @example Starting an app from a string
 * ```ts ignore
 * import { app, runner } from "@aio/app";
 * await runner(["run"], { configString: "[listen/x]\nhello = ./app.ts#hello\n" });
 * await app.signals!.emit("hello", "BOOM!");
 * await app.clear();
 * ```
 */
export async function runner(
  argv: readonly string[],
  options: RunnerOptions = {},
): Promise<number> {
  const global = parseGlobalArgs(argv);
  // `-c FILE` on the command line beats a config handed in by code (such as
  // the one `aio compile` embeds).
  const fromArgs = global.configFile !== undefined;
  const source: ConfigSourceOptions = {
    configString: fromArgs ? undefined : options.configString,
    configSource: fromArgs ? undefined : options.configSource,
    configFile: global.configFile ?? options.configFile,
    searchForConfig: options.searchForConfig,
  };
  const context: CommandContext = {
    app,
    argv,
    source,
    debug: global.debug,
    foreground: options.foreground ?? false,
  };
  if (global.version) {
    console.log(`aio ${VERSION}`);
    return ExitCode.OK;
  }
  if (global.help) {
    console.log(await helpText(context));
    return ExitCode.OK;
  }
  if (global.command === undefined) {
    throw new UsageError("the following arguments are required: command");
  }
  const command = await findCommand(global.command, context);
  return (await command.run(global.args, context)) ?? ExitCode.OK;
}

async function findCommand(
  name: string,
  context: CommandContext,
): Promise<Command> {
  const builtin = isBuiltinCommand(name) ? BUILTIN_COMMANDS[name] : undefined;
  if (builtin) return await builtin.load();
  const { loadModuleCommands } = await import("./commands/module_commands.ts");
  const commands = await loadModuleCommands(context);
  const command = commands.get(name);
  if (command) return command;
  const names = [...Object.keys(BUILTIN_COMMANDS), ...commands.keys()];
  throw new UsageError(
    `invalid choice: '${name}' (choose from ${
      names.map((n) => `'${n}'`).join(", ")
    })`,
  );
}

async function helpText(context: CommandContext): Promise<string> {
  const rows: [string, string][] = Object.entries(BUILTIN_COMMANDS).map((
    [name, command],
  ) => [name, command.description]);
  let note = "";
  try {
    const { loadModuleCommands } = await import(
      "./commands/module_commands.ts"
    );
    for (const [name, command] of await loadModuleCommands(context)) {
      rows.push([name, command.description]);
    }
  } catch (error) {
    // Help must work even when the config is broken; say why module commands are missing.
    note = `\n(module commands not listed: ${describeFailure(error).text})`;
  }
  const width = Math.max(...rows.map(([name]) => name.length));
  return [
    usageLine(rows.map(([name]) => name)),
    "",
    "aio runs Deno apps described by one INI file.",
    "",
    "commands:",
    ...rows.map(([name, description]) =>
      `  ${name.padEnd(width)}  ${description}`
    ),
    "",
    "options:",
    "  -h, --help            show this help and exit",
    "  -V, --version         show aio's version and exit",
    "  --debug               print stack traces with errors",
    "  -c, --config FILE     the config file (default: ./aio.conf, ./etc/aio.conf, /etc/aio/aio.conf)",
  ].join("\n") + note;
}

/**
 * The CLI: runs `argv`, prints errors as one line (with a stack trace only
 * under `--debug`) and returns the exit code.
 */
export async function main(
  argv: readonly string[],
  defaults: ConfigSourceOptions = {},
): Promise<number> {
  let debug = false;
  try {
    debug = argv.includes("--debug");
    return await runner(argv, { ...defaults, foreground: true });
  } catch (error) {
    const { text, exitCode } = describeFailure(error);
    if (
      error instanceof UsageError && error.message.startsWith("the following")
    ) {
      console.error(usageLine());
    }
    console.error(text);
    if (debug && error instanceof Error && error.stack) {
      console.error(error.stack);
    }
    return exitCode;
  }
}

/**
 * Runs the CLI and exits the process with its code, after flushing logs.
 * `defaults` is the config to use when no `-c FILE` is given (a compiled
 * app embeds its own).
 */
export async function runCli(
  argv: readonly string[],
  defaults: ConfigSourceOptions = {},
): Promise<never> {
  return await exitAfterFlush(app, await main(argv, defaults));
}
