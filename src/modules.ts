/**
 * Importing `[aio] modules` and collecting their defaults (layer 3 of the
 * config): an `aio.conf` beside the module and/or an `aioConfig` export.
 *
 * @module
 */

import type { ConfigParser } from "./config/config_parser.ts";
import type { ModuleDefaults } from "./config/layers.ts";
import { ConfigError } from "./config/errors.ts";
import { decodeConfig } from "./config/read_file.ts";
import { absolutePath } from "./paths.ts";
import {
  embeddedFiles,
  isFileSource,
  type ModuleLoader,
  type ModuleNamespace,
  resolveSpecifier,
  toFileUrl,
} from "./refs.ts";

/** A module the app has imported. */
export interface LoadedModule {
  /** The specifier as the config wrote it (`@aio/app` for aio's own module). */
  specifier: string;
  /** The URL it was imported from. */
  url: string;
  /** Its exports. */
  exports: ModuleNamespace;
}

/** Options for {@linkcode loadModules}. */
export interface LoadModulesOptions {
  /** The user config's file: not read again as a module's defaults when a module sits beside it. */
  userSource?: string;
  /** Imports aio's public module (`mod.ts`), which goes first in the list. */
  publicModule?: () => Promise<ModuleNamespace>;
}

/** The specifier aio's own module is listed under. */
export const AIO_MODULE_SPECIFIER = "@aio/app";

/**
 * Imports aio's own module and then each of `[aio] modules` in order (each
 * once), and reads their defaults.
 */
export async function loadModules(
  config: ConfigParser,
  loader: ModuleLoader,
  options: LoadModulesOptions = {},
): Promise<{ modules: LoadedModule[]; layers: ModuleDefaults[] }> {
  const { userSource } = options;
  // Nothing inside aio imports its public face (that would close a cycle
  // through every part): the entry points hand it over, else it is imported
  // by URL.
  const ownUrl = new URL("../mod.ts", import.meta.url).href;
  const modules: LoadedModule[] = [{
    specifier: AIO_MODULE_SPECIFIER,
    url: ownUrl,
    exports: options.publicModule
      ? await options.publicModule()
      : await loader.import(ownUrl),
  }];
  const seen = new Set([ownUrl]);
  const layers: ModuleDefaults[] = [];
  const specifiers = config.getList("aio", "modules", { fallback: [] });
  if (specifiers.length === 0) return { modules, layers };
  const source = config.source("aio", "modules");
  const userConfigUrl = userSource && isFileSource(userSource)
    ? toFileUrl(absolutePath(userSource))
    : undefined;
  for (const specifier of specifiers) {
    const url = resolveSpecifier(specifier, source.file);
    if (seen.has(url)) continue;
    seen.add(url);
    const location = { section: "aio", option: "modules", source };
    const exports = await loader.import(url, location);
    modules.push({ specifier, url, exports });
    const beside = await readBesideConfig(url, userConfigUrl);
    if (beside) layers.push(beside);
    if ("aioConfig" in exports) {
      if (typeof exports.aioConfig !== "string") {
        throw new ConfigError(
          `[aio] modules: '${specifier}' exports aioConfig, which must be a string`,
          { source: source.file, line: source.line },
        );
      }
      layers.push({
        text: exports.aioConfig,
        source: `${specifier}#aioConfig`,
      });
    }
  }
  return { modules, layers };
}

/** Reads the `aio.conf` beside a `file:` or `http(s):` module, if there is one. */
async function readBesideConfig(
  moduleUrl: string,
  userConfigUrl: string | undefined,
): Promise<ModuleDefaults | undefined> {
  const url = new URL("aio.conf", moduleUrl);
  if (url.href === userConfigUrl) return undefined;
  if (url.protocol === "file:") {
    const path = decodeURIComponent(url.pathname);
    const embedded = embeddedFiles()?.get(path);
    if (embedded !== undefined) return { text: embedded, source: path };
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(path);
    } catch {
      return undefined;
    }
    return { text: decodeConfig(bytes, path), source: path };
  }
  if (url.protocol === "http:" || url.protocol === "https:") {
    const response = await fetch(url);
    if (!response.ok) {
      await response.body?.cancel();
      return undefined;
    }
    return {
      text: decodeConfig(
        new Uint8Array(await response.arrayBuffer()),
        url.href,
      ),
      source: url.href,
    };
  }
  return undefined;
}
