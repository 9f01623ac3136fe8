/**
 * `aio test [MODULE ...]`: run each module's tests (its `*_test.ts` files
 * and the code blocks of its README.md) through `deno test`.
 *
 * @module
 */

import { readList } from "../config/read_value.ts";
import type { LoadedModule } from "../app.ts";
import { UsageError } from "../errors.ts";
import { findDeno } from "../deno_path.ts";
import { didYouMean, parseArgs } from "./_args.ts";
import { COMMAND_SPECS } from "./specs.ts";
import { findConfigFile } from "../config/layers.ts";
import { absolutePath } from "../paths.ts";
import type { Command, CommandContext } from "./types.ts";

/** The environment variable that hands the app's config to the tests. */
export const AIO_CONFIG_ENV = "AIO_CONFIG";

/** The `test` command: exit 1 when any module's tests fail. */
export const testCommand: Command = {
  description: COMMAND_SPECS.test.summary,
  async run(args: string[], context: CommandContext): Promise<number> {
    const { positionals } = parseArgs(COMMAND_SPECS.test, args);
    const app = context.app;
    const config = await app.load(context.source);
    try {
      const modules = chooseModules(
        app.modules,
        positionals,
        config.has("aio/testing", "modules")
          ? readList(config, "aio/testing", "modules")
          : [],
      );
      const deno = findDeno();
      let failed = 0;
      let ran = 0;
      for (const module of modules) {
        const files = await testFilesOf(module);
        if (files.length === 0) {
          console.log(`No tests for ${module.specifier}`);
          continue;
        }
        console.log(`Running tests for ${module.specifier}...`);
        ran++;
        const docFiles = files.filter((file) => file.endsWith(".md"));
        // From the module's own directory, so Deno finds the module's deno.json.
        const { code } = await new Deno.Command(deno, {
          args: ["test", "-A", ...(docFiles.length ? ["--doc"] : []), ...files],
          cwd: decodeURIComponent(new URL(".", module.url).pathname),
          env: { [AIO_CONFIG_ENV]: configForTests(context) },
          stdout: "inherit",
          stderr: "inherit",
        }).output();
        if (code !== 0) failed++;
      }
      console.log(
        `aio test: ${modules.length} module(s), ${ran} tested: ${
          ran - failed
        } passed, ${failed} failed, ${modules.length - ran} without tests`,
      );
      return failed > 0 ? 1 : 0;
    } finally {
      await app.clear();
    }
  },
};

/**
 * What the tests get in `AIO_CONFIG`: the absolute path of the app's config
 * file, or the config text itself when it was given as a string.
 */
function configForTests(context: CommandContext): string {
  const { configString, configFile } = context.source;
  if (configString !== undefined) return configString;
  const file = configFile ?? findConfigFile();
  return file === undefined ? "" : absolutePath(file);
}

function chooseModules(
  all: readonly LoadedModule[],
  args: string[],
  configured: string[],
): LoadedModule[] {
  const wanted = args.length > 0 ? args : configured;
  if (wanted.length === 0) return [...all];
  return wanted.map((name) => {
    const module = all.find((m) => m.specifier === name || m.url === name);
    if (!module) {
      const configured = all.map((m) => m.specifier);
      throw new UsageError(
        `test: module '${name}' is not configured${
          didYouMean(name, configured) ||
          ` (configured: ${configured.map((m) => `'${m}'`).join(", ")})`
        }`,
      );
    }
    return module;
  });
}

/** The module's `*_test.ts` files and its README.md, when it has code blocks (local modules only). */
async function testFilesOf(module: LoadedModule): Promise<string[]> {
  if (!module.url.startsWith("file:")) return [];
  const dir = new URL(".", module.url);
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile) continue;
    const path = decodeURIComponent(new URL(entry.name, dir).pathname);
    if (/_test\.(ts|tsx|js|mjs|jsx)$/.test(entry.name)) files.push(path);
    else if (
      entry.name === "README.md" &&
      /```(ts|typescript|js|javascript)\b(?![^\n]*ignore)/.test(
        await Deno.readTextFile(path),
      )
    ) {
      files.push(path);
    }
  }
  return files.sort();
}
