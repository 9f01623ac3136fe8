/**
 * Importing `[aio] modules` and collecting their defaults (layer 3 of the
 * config): an `aio.conf` beside the module and/or an `aioConfig` export.
 *
 * @module
 */

import type { ConfigParser } from "./config/config_parser.ts";
import { aioConfigSource, type ModuleDefaults } from "./config/layers.ts";
import { errorAt } from "./config/errors.ts";
import { Problems } from "./config/problems.ts";
import { decodeConfig } from "./config/read_file.ts";
import { readList } from "./config/read_value.ts";
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
  /** Where config problems go (a module that cannot be found, a bad `aioConfig`); without it they throw. */
  problems?: Problems;
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
  const problems = options.problems ?? new Problems();
  const specifiers = config.has("aio", "modules")
    ? problems.collect(() => readList(config, "aio", "modules")) ?? []
    : [];
  if (specifiers.length === 0) {
    if (!options.problems) problems.throwIfAny();
    return { modules, layers };
  }
  const source = config.source("aio", "modules");
  const userConfigUrl = userSource && isFileSource(userSource)
    ? toFileUrl(absolutePath(userSource))
    : undefined;
  for (const specifier of specifiers) {
    const url = resolveSpecifier(specifier, source.file);
    // A bare specifier is whatever the import map makes of it: the same
    // module as its target, with the target's aio.conf beside it.
    const target = resolveBare(url);
    if (seen.has(target)) continue;
    seen.add(target);
    const location = { section: "aio", option: "modules", source };
    const exports = await problems.collectAsync(() =>
      loader.import(url, location)
    );
    if (!exports) continue;
    modules.push({ specifier, url, exports });
    const beside = await readBesideConfig(target, userConfigUrl);
    if (beside) layers.push(beside);
    if (!("aioConfig" in exports)) continue;
    if (typeof exports.aioConfig !== "string") {
      problems.error(errorAt(
        source,
        `[aio] modules: '${specifier}' exports aioConfig, which must be a string`,
      ));
      continue;
    }
    layers.push({
      text: exports.aioConfig,
      source: aioConfigSource(specifier),
    });
  }
  if (!options.problems) problems.throwIfAny();
  return { modules, layers };
}

/** What the import map makes of a bare specifier (the specifier itself when it maps to nothing). */
function resolveBare(specifier: string): string {
  if (URL.canParse(specifier)) return specifier;
  try {
    return import.meta.resolve(specifier);
  } catch {
    return specifier;
  }
}

/** Reads the `aio.conf` beside a `file:` or `http(s):` module, if there is one. */
async function readBesideConfig(
  moduleUrl: string,
  userConfigUrl: string | undefined,
): Promise<ModuleDefaults | undefined> {
  if (!URL.canParse("aio.conf", moduleUrl)) return undefined;
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
