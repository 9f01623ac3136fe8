/**
 * Bare specifiers as the user's import map names them. aio imports the
 * modules a config names from its own code, where Deno would resolve a
 * bare specifier with aio's import map, not the app's: so aio looks the
 * specifier up in the app's `deno.json` (or `deno.jsonc`, or the file its
 * `importMap` names) itself, the nearest one above the config file.
 *
 * @module
 */

import { dirname, join } from "node:path";

/** An import map's `imports`, with the URL its targets are relative to. */
export interface ImportMap {
  /** Specifier (or prefix ending in `/`) to target. */
  imports: Record<string, string>;
  /** What relative targets resolve against. */
  base: URL;
}

const CONFIG_NAMES = ["deno.json", "deno.jsonc"];
const found = new Map<string, ImportMap | null>();

/**
 * The import map of the nearest `deno.json`/`deno.jsonc` in `dir` or above
 * it; undefined when there is none, or it maps nothing. A file that cannot
 * be read or parsed counts as none (Deno itself reports it).
 */
export function findImportMap(dir: string): ImportMap | undefined {
  const cached = found.get(dir);
  if (cached !== undefined) return cached ?? undefined;
  let map: ImportMap | null = null;
  for (const name of CONFIG_NAMES) {
    const path = join(dir, name);
    const config = readJson(path);
    if (config === undefined) continue;
    map = importsOf(config, path);
    break;
  }
  if (map === null) {
    const parent = dirname(dir);
    map = parent === dir ? null : findImportMap(parent) ?? null;
  }
  found.set(dir, map);
  return map ?? undefined;
}

/**
 * Resolves a bare specifier through `map` as the import maps standard does:
 * an exact key, else the longest key ending in `/` that prefixes it.
 *
 * @example
 * ```ts
 * import { resolveImport } from "./import_map.ts";
 * const map = { imports: { "app/": "./src/" }, base: new URL("file:///srv/deno.json") };
 * console.log(resolveImport(map, "app/main.ts")); // "file:///srv/src/main.ts"
 * ```
 */
export function resolveImport(
  map: ImportMap,
  specifier: string,
): string | undefined {
  const exact = map.imports[specifier];
  if (exact !== undefined) return target(exact, map.base);
  let best: string | undefined;
  for (const key of Object.keys(map.imports)) {
    if (
      key.endsWith("/") && specifier.startsWith(key) &&
      key.length > (best?.length ?? 0)
    ) best = key;
  }
  if (best === undefined) return undefined;
  return target(map.imports[best] + specifier.slice(best.length), map.base);
}

function target(value: string, base: URL): string {
  return value.startsWith("./") || value.startsWith("../") ||
      value.startsWith("/")
    ? new URL(value, base).href
    : value;
}

function importsOf(config: unknown, path: string): ImportMap | null {
  if (typeof config !== "object" || config === null) return null;
  const { imports, importMap } = config as {
    imports?: unknown;
    importMap?: unknown;
  };
  const base = new URL(`file://${path}`);
  if (typeof imports === "object" && imports !== null) {
    return { imports: imports as Record<string, string>, base };
  }
  if (typeof importMap === "string") {
    const mapUrl = new URL(importMap, base);
    if (mapUrl.protocol !== "file:") return null;
    const mapPath = decodeURIComponent(mapUrl.pathname);
    return importsOf(readJson(mapPath), mapPath);
  }
  return null;
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(stripJsonComments(text));
  } catch {
    return undefined;
  }
}

/** JSONC to JSON: comments and trailing commas out, strings untouched. */
function stripJsonComments(text: string): string {
  return text.replace(
    /("(?:[^"\\]|\\.)*")|\/\/[^\n]*|\/\*[\s\S]*?\*\/|,(\s*[}\]])/g,
    (_match, string, closing) => string ?? closing ?? "",
  );
}
