/**
 * Loading `SPECIFIER#EXPORT` references from config values (SPEC 2).
 *
 * @module
 */

import { ConfigError, type ValueSource } from "./config/errors.ts";
import { AioError } from "./errors.ts";
import { findImportMap, resolveImport } from "./import_map.ts";

/** Where a reference was written, for error messages. */
export interface RefLocation {
  /** The section that holds it. */
  section: string;
  /** The option that holds it. */
  option: string;
  /** The file and line of the value. */
  source: ValueSource;
}

/** A reference split into what to import and which export to take. */
export interface ParsedRef {
  /** The module specifier as written. */
  specifier: string;
  /** The export's dotted path; `["default"]` when there was no `#`. */
  exportPath: string[];
}

/** The kinds of thing a reference may be required to name. */
export type RefKind = "function" | "class" | "string" | "any";

/** The global key under which `aio compile` puts its statically imported modules. */
export const STATIC_MODULES_KEY: unique symbol = Symbol.for(
  "aio.staticModules",
) as never;
/** The global key under which `aio compile` puts the module `aio.conf` files it embedded, by path. */
export const STATIC_FILES_KEY: unique symbol = Symbol.for(
  "aio.staticFiles",
) as never;
/** The environment variable that turns dynamic imports off (to prove a compiled entry is complete). */
export const NO_DYNAMIC_IMPORT_ENV = "AIO_NO_DYNAMIC_IMPORT";

/** A module namespace: its exports by name. */
export type ModuleNamespace = Record<string, unknown>;

const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:/;
/** The schemes a reference may import from; bare specifiers go through the import map. */
const ALLOWED_SCHEMES = new Set(["file:", "http:", "https:", "jsr:", "npm:"]);
/** Names a dotted export path may not step through: they lead out of the module's exports. */
const FORBIDDEN_EXPORT_NAMES = new Set([
  "__proto__",
  "constructor",
  "prototype",
]);

/**
 * Splits `SPECIFIER#EXPORT`. The export is everything after the last `#`
 * (a dotted path is allowed); without one it is `default`.
 *
 * @example
 * ```ts
 * import { parseRef } from "./refs.ts";
 * parseRef("./app.ts#handlers.add"); // { specifier: "./app.ts", exportPath: ["handlers", "add"] }
 * ```
 */
export function parseRef(value: string): ParsedRef {
  const text = value.trim();
  const hash = text.lastIndexOf("#");
  if (hash < 0) return { specifier: text, exportPath: ["default"] };
  const exportName = text.slice(hash + 1);
  return {
    specifier: text.slice(0, hash),
    exportPath: exportName ? exportName.split(".") : ["default"],
  };
}

/**
 * Turns a specifier into what `import()` takes: relative paths resolve
 * against the directory of the file that holds the line (or the working
 * directory when the value came from a string), absolute paths become
 * `file:` URLs, bare specifiers go through the app's import map (the
 * nearest `deno.json` above that file), and URLs pass through.
 */
export function resolveSpecifier(
  specifier: string,
  sourceFile: string,
): string {
  if (specifier.startsWith("./") || specifier.startsWith("../")) {
    return new URL(specifier, baseUrlOf(sourceFile)).href;
  }
  if (specifier.startsWith("/")) return toFileUrl(specifier);
  if (SCHEME.test(specifier)) return specifier;
  const base = baseUrlOf(sourceFile);
  if (base.protocol !== "file:") return specifier;
  const map = findImportMap(decodeURIComponent(new URL(".", base).pathname));
  return (map && resolveImport(map, specifier)) ?? specifier;
}

/** The URL that relative specifiers in `sourceFile` resolve against. */
export function baseUrlOf(sourceFile: string): URL {
  if (SCHEME.test(sourceFile) && !sourceFile.startsWith("<")) {
    return new URL(sourceFile);
  }
  const cwd = toFileUrl(Deno.cwd()) + "/";
  if (sourceFile.startsWith("<")) return new URL(cwd);
  return new URL(encodePath(sourceFile), cwd);
}

/** Whether a source name is a real file (not a string, a default or a URL). */
export function isFileSource(sourceFile: string): boolean {
  return !sourceFile.startsWith("<") &&
    (!SCHEME.test(sourceFile) || sourceFile.startsWith("file:"));
}

/**
 * Imports the modules a config names, each once however many references
 * name it, and loads `SPECIFIER#EXPORT` references from them. The app owns
 * one; a reload makes a new one.
 *
 * @example Loading a reference
 * ```ts
 * import { ModuleLoader } from "./refs.ts";
 * const loader = new ModuleLoader();
 * const Cron = await loader.load("npm:croner@^11.0.1#Cron", {
 *   section: "x",
 *   option: "y",
 *   source: { file: "<string>", line: 1 },
 * }, "class");
 * console.log(typeof Cron); // "function"
 * ```
 */
export class ModuleLoader {
  readonly #cache = new Map<string, Promise<ModuleNamespace>>();
  readonly #pending = new Set<string>();
  /**
   * How long one module may take to import (ms) before it is a config error
   * naming it; unset, an import takes as long as it takes. `aio check` sets
   * it: there, a top-level await that never settles would otherwise end the
   * process with Deno's own message once nothing else is left to run.
   */
  importTimeoutMs?: number;

  /** The URLs being imported right now (started, not yet settled), oldest first. */
  get importing(): readonly string[] {
    return [...this.#pending];
  }

  /**
   * Imports `url` once. Modules that `aio compile` embedded are taken from
   * the static map first. A module that is not allowed or not found is a
   * {@linkcode ConfigError} at `location`; one that throws while it
   * evaluates is an {@linkcode AioError}.
   */
  import(url: string, location?: RefLocation): Promise<ModuleNamespace> {
    const scheme = SCHEME.exec(url)?.[0];
    if (scheme && !ALLOWED_SCHEMES.has(scheme)) {
      // A data: or blob: URL would be code written in the config itself.
      return Promise.reject(refError(
        location,
        `Module '${
          url.slice(0, 60)
        }' is not allowed: references name file:, http:, https:, jsr: or npm: modules, or paths`,
      ));
    }
    let loading = this.#cache.get(url);
    if (!loading) {
      loading = this.#importTracked(url, location);
      this.#cache.set(url, loading);
      loading.catch(() => this.#cache.delete(url));
    }
    return loading;
  }

  /**
   * Loads the thing a reference names and checks its kind. Throws
   * {@linkcode ConfigError} naming the section, option, file and line; a
   * missing export lists the exports the module has.
   */
  async load(
    value: string,
    location: RefLocation,
    kind: RefKind = "any",
  ): Promise<unknown> {
    const { specifier, exportPath } = parseRef(value);
    if (!specifier) {
      throw refError(
        location,
        `Reference ${JSON.stringify(value)} names no module`,
      );
    }
    const url = resolveSpecifier(specifier, location.source.file);
    const namespace = await this.import(url, location);
    const target = exportAt(namespace, exportPath, specifier, location);
    checkKind(target, kind, value, location);
    return target;
  }

  async #importTracked(
    url: string,
    location: RefLocation | undefined,
  ): Promise<ModuleNamespace> {
    this.#pending.add(url);
    try {
      const importing = importFresh(url, location);
      if (this.importTimeoutMs === undefined) return await importing;
      return await withinTime(importing, this.importTimeoutMs, () =>
        refError(
          location,
          `Module '${displayUrl(url)}' did not finish importing within ${
            this.importTimeoutMs! / 1000
          } s (a top-level await that never settles?)`,
        ));
    } finally {
      this.#pending.delete(url);
    }
  }

  /** Forgets every imported module record (the modules stay in Deno's cache). */
  clear(): void {
    this.#cache.clear();
  }
}

async function importFresh(
  url: string,
  location?: RefLocation,
): Promise<ModuleNamespace> {
  const embedded = staticModules()?.get(url);
  if (embedded) return embedded;
  if (dynamicImportDisabled()) {
    throw refError(
      location,
      `Module '${url}' was not embedded at compile time (dynamic imports are off)`,
    );
  }
  try {
    return await import(url) as ModuleNamespace;
  } catch (error) {
    const message = error instanceof Error
      ? error.message.split("\n")[0]
      : String(error);
    if ((error as { code?: string })?.code === "ERR_MODULE_NOT_FOUND") {
      throw refError(location, `Cannot load module '${url}': ${message}`);
    }
    throw new AioError(`Module '${url}' failed while importing: ${message}`, {
      cause: error,
    });
  }
}

/** `promise`, or the error `late()` makes when it has not settled within `ms`. */
function withinTime<T>(
  promise: Promise<T>,
  ms: number,
  late: () => Error,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  // The timer also keeps the event loop alive: without it, a top-level
  // await that never settles ends the process once nothing else runs.
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(late()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A module URL as a user reads it: `./path` for a file under the working
 * directory, the URL itself otherwise.
 *
 * @example
 * ```ts
 * import { displayUrl } from "./refs.ts";
 * displayUrl("https://example.com/mod.ts"); // "https://example.com/mod.ts"
 * ```
 */
export function displayUrl(url: string): string {
  let cwd: string;
  try {
    cwd = toFileUrl(Deno.cwd()) + "/";
  } catch {
    return url;
  }
  if (!url.startsWith(cwd)) return url;
  return `./${decodeURIComponent(url.slice(cwd.length))}`;
}

/** Follows a dotted export path through a module's own exports. */
function exportAt(
  namespace: ModuleNamespace,
  exportPath: readonly string[],
  specifier: string,
  location: RefLocation,
): unknown {
  let target: unknown = namespace;
  for (const [index, name] of exportPath.entries()) {
    const holder = target as Record<string, unknown> | null | undefined;
    // Own properties only: a reference reaches exports, never what objects
    // inherit (`#fn.constructor` would be Function).
    if (
      holder === null || holder === undefined ||
      FORBIDDEN_EXPORT_NAMES.has(name) || !Object.hasOwn(Object(holder), name)
    ) {
      const where = index === 0
        ? `module '${specifier}'`
        : `'${exportPath.slice(0, index).join(".")}' in '${specifier}'`;
      const names = index === 0
        ? Object.keys(namespace)
        : Object.keys(Object(holder));
      throw refError(
        location,
        `${capitalize(where)} has no export '${name}' (it has: ${
          names.length ? names.join(", ") : "nothing"
        })`,
      );
    }
    target = holder[name];
  }
  return target;
}

/** Whether `value` is a class (or a function that can be called with `new`). */
export function isClass(value: unknown): boolean {
  return typeof value === "function" && value.prototype !== undefined &&
    !isAsyncOrGenerator(value);
}

function checkKind(
  target: unknown,
  kind: RefKind,
  value: string,
  location: RefLocation,
): void {
  const ok = kind === "any" ||
    (kind === "function" && typeof target === "function") ||
    (kind === "class" && isClass(target)) ||
    (kind === "string" && typeof target === "string");
  if (!ok) {
    throw refError(
      location,
      `'${value}' must name a ${kind}, not ${describeValue(target)}`,
    );
  }
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "function") {
    return isClass(value) ? "a class" : "a function";
  }
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

function isAsyncOrGenerator(fn: { constructor: { name: string } }): boolean {
  return fn.constructor.name !== "Function";
}

function refError(
  location: RefLocation | undefined,
  detail: string,
): ConfigError {
  if (!location) return new ConfigError(detail, { source: "<reference>" });
  return new ConfigError(
    `[${location.section}] ${location.option}: ${detail}`,
    {
      source: location.source.file,
      line: location.source.line,
    },
  );
}

function staticModules(): Map<string, ModuleNamespace> | undefined {
  return (globalThis as Record<
    symbol,
    Map<string, ModuleNamespace> | undefined
  >)[STATIC_MODULES_KEY];
}

/** The `aio.conf` files `aio compile` embedded, by absolute path, if any. */
export function embeddedFiles(): Map<string, string> | undefined {
  return (globalThis as Record<symbol, Map<string, string> | undefined>)[
    STATIC_FILES_KEY
  ];
}

function dynamicImportDisabled(): boolean {
  try {
    return Deno.env.get(NO_DYNAMIC_IMPORT_ENV) === "1";
  } catch {
    return false;
  }
}

function capitalize(text: string): string {
  return text[0].toUpperCase() + text.slice(1);
}

/** A path as a `file:` URL string. */
export function toFileUrl(path: string): string {
  return new URL(`file://${encodePath(path)}`).href;
}

function encodePath(path: string): string {
  return path.replace(/%/g, "%25").replace(/#/g, "%23").replace(/\?/g, "%3F");
}
