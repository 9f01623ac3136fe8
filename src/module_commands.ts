/**
 * Commands that modules add through `[aio/commands] NAME = REF`.
 *
 * @module
 */

import type { ConfigParser } from "./config/config_parser.ts";
import { errorAt } from "./config/errors.ts";
import type { Problems } from "./config/problems.ts";
import { readValue } from "./config/read_value.ts";
import { ownOptions } from "./config/sections.ts";
import { type ModuleLoader, parseRef, resolveSpecifier } from "./refs.ts";
import { isBuiltinCommand } from "./commands/names.ts";

/** The section that names module commands. */
export const COMMANDS_SECTION = "aio/commands";

/** A command a module adds, loaded: how the CLI calls it is up to the CLI. */
export interface ModuleCommandSpec {
  /** Its name (the option in `[aio/commands]`). */
  name: string;
  /** One line for `aio --help`. */
  description: string;
  /** The loaded function. */
  fn: (...args: never[]) => unknown;
}

/**
 * The commands `[aio/commands]` names, in order, each loaded and described. A name
 * that a built-in command has is a config error: a module may not silently
 * replace `run` or `config`. Problems go to `problems`; the sound commands
 * are returned.
 */
export async function resolveModuleCommands(
  config: ConfigParser,
  loader: ModuleLoader,
  problems: Problems,
): Promise<ModuleCommandSpec[]> {
  const commands: ModuleCommandSpec[] = [];
  if (!config.has(COMMANDS_SECTION)) return commands;
  for (const name of ownOptions(config, COMMANDS_SECTION)) {
    const source = config.source(COMMANDS_SECTION, name);
    if (isBuiltinCommand(name)) {
      problems.error(errorAt(
        source,
        `[${COMMANDS_SECTION}] ${name}: a module command may not replace the built-in command '${name}'`,
      ));
      continue;
    }
    const command = await problems.collectAsync(async () => {
      const ref = readValue(config, COMMANDS_SECTION, name);
      const fn = await loader.load(ref, {
        section: COMMANDS_SECTION,
        option: name,
        source,
      }, "function") as
        & ModuleCommandSpec["fn"]
        & { description?: unknown };
      const description = await describeCommand(loader, fn, ref, source.file);
      return { name, description, fn };
    });
    if (command) commands.push(command);
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
