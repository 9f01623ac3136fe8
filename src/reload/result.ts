/**
 * What one reload did: {@linkcode ReloadResult}, as `App.reload` returns
 * it (`errorLines` in `daemon/reload_outcome.ts` turns its errors into the
 * outcome file's lines).
 *
 * @module
 */

import type { ConfigError } from "../config/errors.ts";

/**
 * How long one module may take to import during a reload (ms): a top-level
 * await that never settles fails the reload, naming the module, instead of
 * holding every later reload (as `aio check` bounds it).
 */
export const RELOAD_IMPORT_TIMEOUT_MS = 10_000;

/** The servers a reload kept, started and stopped, by NAME. */
export interface ReloadedServers {
  /** Kept their socket; new connections get the new code. */
  kept: string[];
  /** Started (new sections, or changed ones that needed a new socket). */
  started: string[];
  /** Stopped accepting and draining (removed sections, the old side of changed ones). */
  stopped: string[];
}

/** What became of the modules on a reload, by URL. */
export interface ReloadedModules {
  /** Changed files, imported anew under a fresh URL. */
  reimported: string[];
  /** Modules the app had not imported before. */
  imported: string[];
  /** How many were kept as they were. */
  kept: number;
}

/** The outcome of one reload. */
export interface ReloadResult {
  /** The reload's number: how many reloads the app has attempted, this one included. */
  seq: number;
  /** `reloaded`: the new config and code run; `failed`: the old app runs on. */
  outcome: "reloaded" | "failed";
  /** What was wrong (config errors carry their file and line); empty when reloaded. */
  errors: Error[];
  /** Warnings about the new config (unknown options and sections), as `aio check` lists them. */
  warnings: ConfigError[];
  /** What happened to the servers, when the reload got that far. */
  servers?: ReloadedServers;
  /** What happened to the modules, when the reload got that far. */
  modules?: ReloadedModules;
  /** How long the reload took (ms), its listeners included. */
  durationMs: number;
}

/**
 * Whether `aio-reloaded`'s message (the app) tells of a reload that
 * succeeded: the new config runs. False when the old one runs on.
 *
 * @example
 * ```ts
 * import { reloadSucceeded } from "./result.ts";
 * console.log(reloadSucceeded({ lastReload: { outcome: "failed" } })); // false
 * ```
 */
export function reloadSucceeded(message: unknown): boolean {
  const last = (message as { lastReload?: { outcome?: string } } | null)
    ?.lastReload;
  return last?.outcome === "reloaded";
}
