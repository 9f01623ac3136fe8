/**
 * Loading `SPECIFIER#EXPORT` references from config values (SPEC 2).
 *
 * @module
 */

import { ConfigError, type ValueSource } from "./config/errors.ts";
import { isAioConfigSource } from "./config/layers.ts";
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

/**
 * Whether a source name is a real file: not a string (`<string>`), aio's
 * defaults, the command line, a URL other than `file:`, nor a module's
 * `aioConfig` export (`SPECIFIER#aioConfig`, a layer read from code).
 */
export function isFileSource(sourceFile: string): boolean {
  return !sourceFile.startsWith("<") && !isAioConfigSource(sourceFile) &&
    (!SCHEME.test(sourceFile) || sourceFile.startsWith("file:"));
}

/**
 * What a loader knows of a module it imported (or tried to): what a later
 * loader ({@linkcode ModuleLoader.successor}) may reuse.
 */
interface ModuleRecord {
  /** The exports; undefined when the import failed or never settled. */
  namespace?: ModuleNamespace;
  /** SHA-256 of a `file:` module's bytes, read just before it was imported. */
  fingerprint?: string;
}

/** A module as one loader holds it. */
interface Loaded extends ModuleRecord {
  namespace: ModuleNamespace;
  /** What this loader did: imported it (`imported`), imported a changed file anew (`reimported`), or took it from an earlier loader (`kept`). */
  how: "imported" | "reimported" | "kept";
}

/** Options for {@linkcode ModuleLoader}'s constructor. */
export interface ModuleLoaderOptions {
  /**
   * The loader's generation (0 for the start): a changed file is imported
   * anew as `URL?aio-reload=GENERATION`. Successors take the process's next.
   */
  generation?: number;
}

const GENERATION_KEY = Symbol.for("aio.loaderGeneration");

/**
 * The process's next loader generation: never one used before, by any copy
 * of aio, so a fresh URL is one Deno has not evaluated.
 */
function nextGeneration(): number {
  const slot = globalThis as Record<symbol, number | undefined>;
  return slot[GENERATION_KEY] = (slot[GENERATION_KEY] ?? 0) + 1;
}

/** The query parameter that gives a changed file a fresh URL on a reload. */
export const RELOAD_QUERY = "aio-reload";

/** aio's own files: never imported anew (a second copy of aio would be a second app). */
const OWN_ROOT = new URL("../", import.meta.url).href;
const OWN_ENTRIES = new Set(
  ["mod.ts", "testing.ts", "cli.ts"].map((name) => OWN_ROOT + name),
);

/**
 * Imports the modules a config names, each once however many references
 * name it, and loads `SPECIFIER#EXPORT` references from them. The app owns
 * one; a reload makes its {@linkcode ModuleLoader.successor}, which keeps
 * the modules that did not change and imports changed files anew.
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
  /** The loader's generation: 0 for the start, the process's next for each successor. */
  readonly generation: number;
  readonly #cache = new Map<string, Promise<Loaded>>();
  /** How each import of this loader ended, by URL (absent while pending). */
  readonly #settled = new Map<string, ModuleRecord>();
  /** What earlier loaders imported (or tried to), by URL. */
  readonly #known = new Map<string, ModuleRecord>();
  /** URLs whose import failed in this loader. */
  readonly #failed = new Set<string>();
  readonly #pending = new Set<string>();
  /**
   * How long one module may take to import (ms) before it is a config error
   * naming it; unset, an import takes as long as it takes. `aio check` sets
   * it: there, a top-level await that never settles would otherwise end the
   * process with Deno's own message once nothing else is left to run.
   */
  importTimeoutMs?: number;

  /** A loader for the start (generation 0), knowing no module. */
  constructor(options: ModuleLoaderOptions = {}) {
    this.generation = options.generation ?? 0;
  }

  /**
   * A loader for a reload that reuses what this one (and the ones before
   * it) imported: a module is kept (the same exports, not evaluated again)
   * unless it is a `file:` module whose bytes changed, or whose import
   * failed; such a file is imported anew under a fresh URL
   * (`file:///app/mod.ts?aio-reload=3`), so its new code runs. `http(s):`,
   * `jsr:` and `npm:` modules are kept (Deno fetched them once). Files that
   * a module imports itself are Deno's: evaluated once per process.
   *
   * @returns The new loader, of the process's next generation; this one is
   *   left as it was.
   *
   * @example A reload's loader
   * ```ts
   * import { ModuleLoader } from "./refs.ts";
   * const first = new ModuleLoader();
   * const next = first.successor();
   * console.log(next.generation > first.generation); // true
   * ```
   */
  successor(): ModuleLoader {
    const next = new ModuleLoader({ generation: nextGeneration() });
    for (const [url, record] of this.#known) next.#known.set(url, record);
    for (const url of this.#failed) {
      if (!next.#known.has(url)) next.#known.set(url, {});
    }
    for (const url of this.#cache.keys()) {
      // An import still pending (a top-level await that never settled) is
      // a failed one for the next loader: it must not wait on it again.
      next.#known.set(url, this.#settled.get(url) ?? {});
    }
    return next;
  }

  /** The URLs being imported right now (started, not yet settled), oldest first. */
  get importing(): readonly string[] {
    return [...this.#pending];
  }

  /**
   * What this loader did with each module it has loaded, by URL: `imported`
   * (new to this line of loaders), `reimported` (a changed file, under a
   * fresh URL) or `kept` (taken from an earlier loader).
   */
  async report(): Promise<Map<string, Loaded["how"]>> {
    const report = new Map<string, Loaded["how"]>();
    for (const [url, loading] of this.#cache) {
      const loaded = await loading.catch(() => undefined);
      if (loaded) report.set(url, loaded.how);
    }
    return report;
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
      loading = this.#load(url, location);
      this.#cache.set(url, loading);
      loading.then(
        (loaded) => this.#settled.set(url, loaded),
        () => {
          this.#cache.delete(url);
          this.#settled.delete(url);
          // The next loader must not take Deno's cached failure for it.
          this.#failed.add(url);
        },
      );
    }
    return loading.then((loaded) => loaded.namespace);
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

  /** Keeps what an earlier loader imported, unless it is a file that changed; else imports it. */
  async #load(url: string, location: RefLocation | undefined): Promise<Loaded> {
    const known = this.#known.get(url);
    const watched = mayChange(url);
    if (known?.namespace && !watched) {
      return { namespace: known.namespace, how: "kept" };
    }
    // Read before the import: a file edited in between is then seen as
    // changed at the next reload (imported once more), never missed.
    const fingerprint = watched ? await fingerprintOf(url) : undefined;
    if (
      known?.namespace && fingerprint !== undefined &&
      fingerprint === known.fingerprint
    ) {
      return { namespace: known.namespace, fingerprint, how: "kept" };
    }
    // Deno caches a module by URL, its failure included: a file it
    // evaluated before needs a URL it has not seen.
    const fresh = known !== undefined && watched;
    const namespace = await this.#importTracked(
      fresh ? freshUrl(url, this.generation) : url,
      url,
      location,
    );
    return { namespace, fingerprint, how: fresh ? "reimported" : "imported" };
  }

  async #importTracked(
    importUrl: string,
    url: string,
    location: RefLocation | undefined,
  ): Promise<ModuleNamespace> {
    this.#pending.add(url);
    try {
      const importing = importFresh(importUrl, location, url);
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
    this.#settled.clear();
    this.#failed.clear();
  }
}

/** Whether a module's code may change under aio: a file of the app's (not embedded, not aio's own). */
function mayChange(url: string): boolean {
  if (!url.startsWith("file:")) return false;
  if (staticModules()?.has(url)) return false;
  return !OWN_ENTRIES.has(url) && !url.startsWith(OWN_ROOT + "src/");
}

/** `url` with `?aio-reload=GENERATION`: a module Deno has not evaluated yet. */
function freshUrl(url: string, generation: number): string {
  const fresh = new URL(url);
  fresh.searchParams.set(RELOAD_QUERY, String(generation));
  return fresh.href;
}

/** SHA-256 of a `file:` module's bytes, in hex; undefined when it cannot be read. */
async function fingerprintOf(url: string): Promise<string | undefined> {
  try {
    const file = new URL(url);
    file.search = "";
    file.hash = "";
    const bytes = await Deno.readFile(file);
    const digest = new Uint8Array(
      await crypto.subtle.digest("SHA-256", bytes),
    );
    return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0"))
      .join("");
  } catch {
    return undefined;
  }
}

async function importFresh(
  importUrl: string,
  location: RefLocation | undefined,
  url: string = importUrl,
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
    return await import(importUrl) as ModuleNamespace;
  } catch (error) {
    const message =
      (error instanceof Error ? error.message.split("\n")[0] : String(error))
        .replaceAll(importUrl, url);
    if ((error as { code?: string })?.code === "ERR_MODULE_NOT_FOUND") {
      // A bare specifier the app's import map does not name: Deno's message
      // would blame aio's own file, which made the import.
      const detail = SCHEME.test(url) ? message : BARE_UNMAPPED;
      throw refError(location, `Cannot load module '${url}': ${detail}`);
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

const BARE_UNMAPPED =
  'a bare specifier needs an entry in the app\'s import map ("imports" in the deno.json beside or above the config), and it has none';

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
