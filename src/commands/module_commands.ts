/**
 * Commands that modules add through `[aio/commands] NAME = REF`.
 *
 * @module
 */

import { type App, app } from "../app.ts";
import { ConfigError } from "../config/errors.ts";
import { ownOptions } from "../config/sections.ts";
import { type ModuleLoader, parseRef, resolveSpecifier } from "../refs.ts";
import { BUILTIN_COMMANDS } from "./registry.ts";
import type { Command, CommandContext } from "./types.ts";

/** The section that names module commands. */
export const COMMANDS_SECTION = "aio/commands";

/** What a module command is: it gets its arguments and the app; its number is the exit code. */
export type ModuleCommand = (
  argv: string[],
  app: App,
) => number | void | Promise<number | void>;

/**
 * Loads the config and modules (starting nothing) and returns the commands
 * `[aio/commands]` names. A name that a built-in command has is a config
 * error: a module may not silently replace `run` or `config`.
 */
export async function loadModuleCommands(
  context: CommandContext,
): Promise<Map<string, Command>> {
  const config = app.config ?? await app.load(context.source);
  const commands = new Map<string, Command>();
  if (!config.has(COMMANDS_SECTION)) return commands;
  for (const name of ownOptions(config, COMMANDS_SECTION)) {
    const source = config.source(COMMANDS_SECTION, name);
    if (name in BUILTIN_COMMANDS) {
      throw new ConfigError(
        `[${COMMANDS_SECTION}] ${name}: a module command may not replace the built-in command '${name}'`,
        { source: source.file, line: source.line },
      );
    }
    const ref = config.get(COMMANDS_SECTION, name);
    const fn = await app.loader.load(ref, {
      section: COMMANDS_SECTION,
      option: name,
      source,
    }, "function") as
      & ModuleCommand
      & { description?: unknown };
    const description = await describeCommand(
      app.loader,
      fn,
      ref,
      source.file,
    );
    commands.set(name, {
      description,
      run: (args) => fn(args, app),
    });
  }
  return commands;
}

/**
 * A command's one-line description: a `description` property on the
 * function, else a `description` string exported beside it, else the first
 * line of its JSDoc (for modules whose source can be read), else nothing.
 */
async function describeCommand(
  loader: ModuleLoader,
  fn: { description?: unknown; name: string },
  ref: string,
  sourceFile: string,
): Promise<string> {
  if (typeof fn.description === "string") return firstLineOf(fn.description);
  const { specifier, exportPath } = parseRef(ref);
  const url = resolveSpecifier(specifier, sourceFile);
  // The loader imported the module already: this is the cached record, so a
  // compiled app (dynamic imports off) finds it too.
  const namespace = await loader.import(url);
  if (typeof namespace.description === "string") {
    return firstLineOf(namespace.description);
  }
  if (!url.startsWith("file:")) return "";
  try {
    const text = await Deno.readTextFile(new URL(url));
    return jsDocSummary(
      text,
      exportPath.at(-1) === "default" ? fn.name : exportPath.at(-1)!,
    );
  } catch {
    return "";
  }
}

/** The first line of the JSDoc block right before `export ... NAME`, or "". */
export function jsDocSummary(source: string, name: string): string {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const pattern = new RegExp(
    `/\\*\\*((?:(?!\\*/)[\\s\\S])*)\\*/\\s*export\\s+(?:default\\s+)?(?:async\\s+)?(?:function\\*?|const|let|var)\\s+${escaped}\\b`,
  );
  const match = pattern.exec(source);
  if (!match) return "";
  const lines = match[1].split("\n").map((line) =>
    line.replace(/^\s*\*?\s?/, "").trim()
  );
  return lines.find((line) => line && !line.startsWith("@")) ?? "";
}

function firstLineOf(text: string): string {
  return text.trim().split("\n")[0].trim();
}
