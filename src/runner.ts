/**
 * From argv to a command: aio's global options, the command, its exit code.
 *
 * Global options (`-c FILE`, `--log-level LEVEL`, `--debug`, `-V`) may come
 * before the command's name or anywhere among a built-in command's
 * arguments: `aio run -c app.conf` is `aio -c app.conf run`. No built-in
 * command may define an option of the same name (`defineCommand`
 * in `src/commands/_args.ts` refuses it), so the two readings never clash. `-h` asks for the help of
 * the command it follows. A module command gets every argument after its
 * name as it is, as cargo and kubectl hand theirs to plugins: aio cannot
 * know its options, so global options go before its name.
 *
 * Only the app's commands import the app (and with it logging and the
 * scheduler): `aio config`, `aio help` and `--version` start light.
 *
 * @module
 */

import type { App } from "./app.ts";
import type { ConfigOverride, ConfigSourceOptions } from "./config/layers.ts";
import type { ModuleNamespace } from "./refs.ts";
import { BUILTIN_COMMANDS } from "./commands/registry.ts";
import { mayAddCommands } from "./commands/may_add_commands.ts";
import { BUILTIN_COMMAND_NAMES, isBuiltinCommand } from "./commands/names.ts";
import type { Command, CommandContext } from "./commands/types.ts";
import {
  ArgumentError,
  type CommandSpec,
  formatHelp,
  GLOBAL_OPTIONS,
  invalidChoice,
  type OptionUse,
  scanArgs,
} from "./commands/_args.ts";
import { AIO_SPEC } from "./commands/specs.ts";
import { closest } from "./suggest.ts";
import { describeFailure, ExitCode, UsageError } from "./errors.ts";
import { VERSION } from "./version.ts";

/** Options for {@linkcode runner}: where the config comes from. */
export interface RunnerOptions extends ConfigSourceOptions {
  /** Wait for SIGINT/SIGTERM after `run` starts the app (the CLI does; the library does not). */
  foreground?: boolean;
  /** Imports aio's public module, listed first in `app.modules` (the entry point that has it passes it). */
  publicModule?: () => Promise<ModuleNamespace>;
}

/** What aio's global options asked for, wherever they were given. */
interface GlobalArgs {
  configFile?: string;
  logLevel?: string;
  debug: boolean;
  /** The first of `-h` and `-V` given before the command's name. */
  exit?: "help" | "version";
}

/**
 * Runs one aio command as the CLI would, from the library. Config errors
 * throw {@linkcode ConfigError}; usage errors throw {@linkcode UsageError}.
 * `runner(["run"], ...)` resolves once the app has started; stop it with
 * `app.clear()`.
 *
 * @example Starting an app from a string
 * ```ts
 * import { app, runner } from "@aio/app";
 * await runner(["run"], {
 *   configString: "[listen/x]\nhello = ./app.ts#hello\n",
 * });
 * await app.signals!.emit("hello", "BOOM!");
 * await app.clear();
 * ```
 *
 * @example Checking a config file from code
 * ```ts
 * import { ConfigErrors, runner } from "@aio/app";
 * try {
 *   await runner(["check"], { configFile: "aio.conf" });
 * } catch (error) {
 *   if (error instanceof ConfigErrors) console.error(error.message);
 * }
 * ```
 */
export async function runner(
  argv: readonly string[],
  options: RunnerOptions = {},
): Promise<number> {
  const front = scanArgs(AIO_SPEC, argv, { stopAtArgument: true });
  let global = applyGlobals(AIO_SPEC, front.options, { debug: false });
  const [name, ...rest] = front.positionals;
  if (global.exit === "version") return printVersion();
  if (global.exit === undefined && name === undefined) {
    throw new ArgumentError(
      AIO_SPEC,
      "the following arguments are required: COMMAND",
    );
  }
  const builtin = global.exit || !isBuiltinCommand(name)
    ? undefined
    : BUILTIN_COMMANDS[name];
  let args = rest;
  if (builtin) {
    const scanned = scanArgs(builtin.spec, rest, { extra: GLOBAL_OPTIONS });
    global = applyGlobals(builtin.spec, scanned.options, global);
    if (global.exit === "version") return printVersion();
    if (global.exit === "help") {
      console.log(formatHelp(builtin.spec));
      return ExitCode.OK;
    }
    args = scanned.rest;
  }
  const source = configSource(global, options);
  // `aio -h` is `aio help`; otherwise the command named.
  const entry = global.exit === "help" ? BUILTIN_COMMANDS.help : builtin;
  if (entry) {
    const commandArgs = entry === builtin ? args : [];
    const usesApp = typeof entry.usesApp === "function"
      ? entry.usesApp(source, commandArgs)
      : entry.usesApp;
    // Both graphs load at once: each dynamic import is a round trip.
    const [app, command] = await Promise.all([
      usesApp ? loadApp(options) : undefined,
      entry.load(),
    ]);
    const context = commandContext(app, argv, source, global, options);
    return await runCommand(entry.spec.name, command, commandArgs, context);
  }
  const app = mayAddCommands(source) ? await loadApp(options) : undefined;
  const context = commandContext(app, argv, source, global, options);
  const command = await findModuleCommand(name!, context);
  return await runCommand(name!, command, args, context);
}

/** Runs `command`; a usage error it throws names it, as the parser's do (`aio: error: config: ...`). */
async function runCommand(
  name: string,
  command: Command,
  args: string[],
  context: CommandContext,
): Promise<number> {
  try {
    return (await command.run(args, context)) ?? ExitCode.OK;
  } catch (error) {
    if (
      error instanceof UsageError && !(error instanceof ArgumentError) &&
      !error.message.startsWith(`${name}: `)
    ) {
      error.message = `${name}: ${error.message}`;
    }
    throw error;
  }
}

function printVersion(): number {
  console.log(`aio ${VERSION}`);
  return ExitCode.OK;
}

/**
 * Records the global options among `uses` (given in `spec`'s command
 * line); a later value wins, as argparse has it, and the first of `-h` and
 * `-V` decides what to show.
 */
function applyGlobals(
  spec: CommandSpec,
  uses: readonly OptionUse[],
  given: GlobalArgs,
): GlobalArgs {
  const global = { ...given };
  for (const { option, values } of uses) {
    if (option.long === "--help") global.exit ??= "help";
    else if (option.long === "--version") global.exit ??= "version";
    else if (option.long === "--debug") global.debug = true;
    else if (option.long === "--log-level") global.logLevel = values[0];
    else if (option.long === "--config") {
      if (values[0] === "") {
        throw new ArgumentError(
          spec,
          "argument -c/--config: expected a file name",
        );
      }
      global.configFile = values[0];
    }
  }
  return global;
}

/** Where the config comes from: `-c FILE` beats a config handed in by code (such as the one `aio compile` embeds). */
function configSource(
  global: GlobalArgs,
  options: RunnerOptions,
): ConfigSourceOptions {
  const fromArgs = global.configFile !== undefined;
  const overrides: ConfigOverride[] = [...(options.overrides ?? [])];
  if (global.logLevel !== undefined) {
    overrides.push({
      section: "aio",
      option: "log_level",
      value: global.logLevel,
    });
  }
  return {
    configString: fromArgs ? undefined : options.configString,
    configSource: fromArgs ? undefined : options.configSource,
    configFile: global.configFile ?? options.configFile,
    searchForConfig: options.searchForConfig,
    overrides,
  };
}

let loadedApp: App | undefined;

/** Imports the app: only for the commands that work on it. */
async function loadApp(options: RunnerOptions): Promise<App> {
  const { app } = await import("./app.ts");
  app.publicModule ??= options.publicModule;
  loadedApp = app;
  return app;
}

function commandContext(
  app: App | undefined,
  argv: readonly string[],
  source: ConfigSourceOptions,
  global: GlobalArgs,
  options: RunnerOptions,
): CommandContext {
  return {
    get app(): App {
      if (!app) throw new Error("This command runs without the app");
      return app;
    },
    argv,
    source,
    debug: global.debug,
    foreground: options.foreground ?? false,
  };
}

/** The module command `name`, or a usage error naming the nearest command. */
async function findModuleCommand(
  name: string,
  context: CommandContext,
): Promise<Command> {
  const builtins = [...BUILTIN_COMMAND_NAMES];
  if (!mayAddCommands(context.source)) {
    throw new ArgumentError(AIO_SPEC, invalidChoice(name, builtins));
  }
  const { loadModuleCommands } = await import("./commands/module_commands.ts");
  // The lookup loads the app; it unloads only what it loaded itself (an app
  // already running, as when a listener calls runner(), stays as it is).
  const loadedBefore = context.app.config !== null;
  const unload = () => loadedBefore ? undefined : context.app.clear();
  let commands: Map<string, Command>;
  try {
    commands = await loadModuleCommands(context);
  } catch (error) {
    // With the config broken, a slip of a built-in's name is still a usage error.
    if (closest(name, builtins) === undefined) throw error;
    await unload();
    throw new ArgumentError(AIO_SPEC, invalidChoice(name, builtins));
  }
  const command = commands.get(name);
  if (command) return command;
  await unload();
  throw new ArgumentError(
    AIO_SPEC,
    invalidChoice(name, [...builtins, ...commands.keys()]),
  );
}

/**
 * The CLI: runs `argv`, prints errors as one line (a mistake on the command
 * line after its command's usage line, as argparse does; a stack trace only
 * under `--debug`) and returns the exit code.
 */
export async function main(
  argv: readonly string[],
  defaults: Omit<RunnerOptions, "foreground"> = {},
): Promise<number> {
  try {
    return await runner(argv, { ...defaults, foreground: true });
  } catch (error) {
    const { text, exitCode } = describeFailure(error);
    if (error instanceof ArgumentError) console.error(error.usage);
    console.error(text);
    if (argv.includes("--debug") && error instanceof Error && error.stack) {
      console.error(error.stack);
    }
    return exitCode;
  }
}

/**
 * Runs the CLI and exits the process with its code, after flushing logs.
 * `defaults` is the config to use when no `-c FILE` is given (a compiled
 * app embeds its own) and how to import aio's public module.
 *
 * @example An app's own entry point with its config built in
 * ```ts
 * import { runCli } from "@aio/app";
 * if (import.meta.main) {
 *   runCli(Deno.args, { configString: "[aio]\nmodules = ./app.ts\n" });
 * }
 * ```
 */
export async function runCli(
  argv: readonly string[],
  defaults: Omit<RunnerOptions, "foreground"> = {},
): Promise<never> {
  const code = await main(argv, defaults);
  if (!loadedApp) Deno.exit(code);
  const { exitAfterFlush } = await import("./exit.ts");
  return await exitAfterFlush(loadedApp, code);
}
