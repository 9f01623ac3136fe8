/**
 * Module commands as the CLI runs them: `[aio/commands] NAME = REF` names
 * a {@linkcode ModuleCommand}, called with its arguments and the app.
 *
 * @module
 */

import type { AppLoadOptions } from "../app.ts";
import { Problems } from "../config/problems.ts";
import { resolveModuleCommands } from "../module_commands.ts";
import type { Command, CommandContext, ModuleCommand } from "./types.ts";

/**
 * Loads the app (starting nothing) and returns its module commands by name;
 * throws the problems found on the way. `options.openLogFiles` false
 * (for `aio help`) creates no log file.
 */
export async function loadModuleCommands(
  context: CommandContext,
  options: AppLoadOptions = {},
): Promise<Map<string, Command>> {
  const app = context.app;
  const config = app.config ?? await app.load(context.source, options);
  const problems = new Problems();
  const specs = await resolveModuleCommands(config, app.loader, problems);
  problems.throwIfAny();
  return new Map(specs.map((spec) => [spec.name, {
    description: spec.description,
    usage: usageOf(spec.fn),
    run: (args: string[], context: CommandContext) =>
      (spec.fn as ModuleCommand)(args, context.app),
  }]));
}

/** A module command's `usage` property, when it is one line of text. */
function usageOf(fn: unknown): string | undefined {
  const usage = (fn as { usage?: unknown }).usage;
  return typeof usage === "string" && usage.trim() && !usage.includes("\n")
    ? usage.trim()
    : undefined;
}
