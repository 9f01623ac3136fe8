/**
 * `aio compile [-o NAME] [--target T] [--entry FILE]`: build a standalone
 * binary of the app. A compiled binary cannot import what was not embedded
 * at compile time, so this writes an entry that imports aio and every module
 * the config names statically, embeds the config and the modules' `aio.conf`
 * files, and runs `deno compile` on it.
 *
 * @module
 */

import { compileEntrySource } from "../compile_entry.ts";
import { configReferences } from "../config_refs.ts";
import { AioError, UsageError } from "../errors.ts";
import { isFileSource } from "../refs.ts";
import { readUserConfig, type UserConfig } from "../config/layers.ts";
import { absolutePath } from "../paths.ts";
import { findDeno } from "../deno_path.ts";
import type { Command, CommandContext } from "./types.ts";
import { parseArgs } from "./_args.ts";
import { COMMAND_SPECS } from "./specs.ts";

export { COMPILE_TARGETS } from "./specs.ts";

/** The `compile` command. */
export const compileCommand: Command = {
  description: COMMAND_SPECS.compile.summary,
  async run(args: string[], context: CommandContext): Promise<number> {
    const parsed = parseArgs(COMMAND_SPECS.compile, args);
    const output = parsed.value("--output") ?? "aio-app";
    const target = parsed.value("--target");
    const entryFile = parsed.value("--entry");
    if (entryFile === undefined) refuseDirectory(output);
    const entry = await buildEntry(context);
    if (entryFile !== undefined) {
      await Deno.writeTextFile(entryFile, entry);
      console.log(`aio: wrote the compile entry to ${entryFile}`);
      return 0;
    }
    const dir = await Deno.makeTempDir({ dir: ".", prefix: ".aio-compile-" });
    try {
      const entryPath = `${dir}/entry.ts`;
      await Deno.writeTextFile(entryPath, entry);
      const { code } = await new Deno.Command(findDeno(), {
        args: [
          "compile",
          "-A",
          ...configFlag(),
          "--output",
          output,
          ...(target ? ["--target", target] : []),
          entryPath,
        ],
        stdout: "inherit",
        stderr: "inherit",
      }).output();
      if (code !== 0) {
        throw new AioError(
          `deno compile failed (exit ${code}); nothing was written to ${output}`,
        );
      }
      console.log(`aio: compiled ${output}`);
      return 0;
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
};

/**
 * The entry sits in the working directory, so Deno finds the app's own
 * deno.json there; with none, aio's (from a local checkout) resolves aio's
 * own imports.
 */
function configFlag(): string[] {
  for (let dir = Deno.cwd();; dir = dir.replace(/\/[^/]*$/, "") || "/") {
    for (const name of ["deno.json", "deno.jsonc"]) {
      try {
        if (Deno.statSync(`${dir}/${name}`).isFile) return [];
      } catch {
        // Not here; look further up.
      }
    }
    if (dir === "/") break;
  }
  const own = new URL("../../deno.json", import.meta.url);
  return own.protocol === "file:"
    ? ["--config", decodeURIComponent(own.pathname)]
    : [];
}

function refuseDirectory(output: string): void {
  try {
    if (Deno.statSync(output).isDirectory) {
      throw new UsageError(`compile: output '${output}' is a directory`);
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
  }
}

/**
 * Loads the app (so a reference that cannot be resolved fails here, before
 * anything is written) and writes the entry module's source.
 */
async function buildEntry(context: CommandContext): Promise<string> {
  const app = context.app;
  const config = await app.load(context.source);
  try {
    const references = configReferences(config);
    for (const reference of references) {
      if (reference.section === "aio" && reference.option === "modules") {
        continue;
      }
      await app.loader.load(reference.ref, reference, "any");
    }
    const files = new Map<string, string>();
    for (const module of app.modules.slice(1)) {
      const beside = new URL("aio.conf", module.url);
      if (beside.protocol !== "file:") continue;
      try {
        files.set(
          decodeURIComponent(beside.pathname),
          await Deno.readTextFile(beside),
        );
      } catch {
        // This module has no aio.conf beside it.
      }
    }
    const user = userConfig(context);
    return compileEntrySource({
      aioUrl: app.modules[0].url,
      moduleUrls: references.map((reference) => reference.url),
      files,
      configText: user?.text,
      configSource: user?.source,
    });
  } finally {
    await app.clear();
  }
}

/** The user config, its path made absolute so the binary resolves references as they resolve here. */
function userConfig(context: CommandContext): UserConfig | undefined {
  const user = readUserConfig(context.source);
  if (!user || !isFileSource(user.source)) return user;
  return { ...user, source: absolutePath(user.source) };
}
