/**
 * How a running aio tells `aio reload` what became of a reload: after each
 * reload attempt it replaces `PIDFILE.reload.json` (a temporary file, then
 * a rename, so a reader sees a whole outcome or the one before) with
 *
 * ```json
 * {"seq": 3, "outcome": "failed", "errors": ["aio.conf:7: [server/web] port: ..."],
 *  "finishedAt": "2025-01-01T12:00:00.000Z", "pid": 4242}
 * ```
 *
 * `errors` holds one line per problem: a config error's message
 * (`FILE:LINE: [section] option: ...`), or `error: ` and the first line of
 * any other error's message (a new server that could not bind); see
 * {@linkcode errorLines}. `seq` counts the process's reload attempts. `aio reload` reads the file
 * before it sends SIGHUP and waits for a greater `seq` from the same pid.
 * The process that holds the pidfile writes it: the single process, or the
 * supervisor of worker processes.
 *
 * @module
 */

import { writeFileAtomicSync } from "../config/atomic_write.ts";
import { ConfigError } from "../config/errors.ts";
import { ConfigErrors, firstLine } from "../errors.ts";

/** One reload attempt's outcome, as the file holds it. */
export interface ReloadOutcome {
  /** How many reload attempts the process has made, this one included. */
  seq: number;
  /** `reloaded`: the new config and code run; `failed`: the old app runs on, untouched. */
  outcome: "reloaded" | "failed";
  /** Each problem in one line (see {@linkcode errorLines}); empty when reloaded. */
  errors: string[];
  /** When the attempt finished (ISO 8601). */
  finishedAt: string;
  /** The process that reloaded. */
  pid: number;
}

/** The outcome file of the aio that holds `pidfile`. */
export function reloadOutcomePath(pidfile: string): string {
  return `${pidfile}.reload.json`;
}

/**
 * Reads the outcome file beside `pidfile`.
 *
 * @returns The last outcome; undefined when there is none (or it is not an outcome).
 */
export async function readReloadOutcome(
  pidfile: string,
): Promise<ReloadOutcome | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(reloadOutcomePath(pidfile));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  return parseReloadOutcome(text);
}

/**
 * Parses an outcome file's text; undefined when it is not one.
 *
 * @example
 * ```ts
 * import { parseReloadOutcome } from "./reload_outcome.ts";
 * const text = '{"seq":1,"outcome":"reloaded","errors":[],"finishedAt":"2025-01-01T00:00:00.000Z","pid":7}';
 * console.log(parseReloadOutcome(text)?.seq); // 1
 * ```
 */
export function parseReloadOutcome(text: string): ReloadOutcome | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const outcome = value as Partial<ReloadOutcome> | null;
  if (
    typeof outcome !== "object" || outcome === null ||
    !Number.isInteger(outcome.seq) ||
    (outcome.outcome !== "reloaded" && outcome.outcome !== "failed") ||
    !Array.isArray(outcome.errors) ||
    !outcome.errors.every((line) => typeof line === "string") ||
    typeof outcome.finishedAt !== "string" || !Number.isInteger(outcome.pid)
  ) return undefined;
  return outcome as ReloadOutcome;
}

/**
 * Replaces the outcome file beside `pidfile` with `outcome`, atomically
 * (`writeFileAtomicSync`, as for the other files beside the pidfile).
 */
export function writeReloadOutcome(
  pidfile: string,
  outcome: ReloadOutcome,
): void {
  writeFileAtomicSync(
    reloadOutcomePath(pidfile),
    JSON.stringify(outcome) + "\n",
  );
}

/** Removes the outcome file beside `pidfile` (a new holder's, or one that exits); never throws. */
export function removeReloadOutcome(pidfile: string): void {
  try {
    Deno.removeSync(reloadOutcomePath(pidfile));
  } catch {
    // Absent, or not ours to remove: a reader checks the pid anyway.
  }
}

/**
 * Whether `outcome` answers a SIGHUP sent to `pid` when the file held
 * `before`: it is from `pid`, and later than `before` if that was from
 * `pid` too.
 *
 * @example
 * ```ts
 * import { answersSignal } from "./reload_outcome.ts";
 * const at = "2025-01-01T00:00:00.000Z";
 * const before = { seq: 2, outcome: "reloaded" as const, errors: [], finishedAt: at, pid: 7 };
 * console.log(answersSignal({ ...before, seq: 3 }, before, 7)); // true
 * console.log(answersSignal(before, before, 7)); // false
 * ```
 */
export function answersSignal(
  outcome: ReloadOutcome | undefined,
  before: ReloadOutcome | undefined,
  pid: number,
): outcome is ReloadOutcome {
  if (outcome === undefined || outcome.pid !== pid) return false;
  return before === undefined || before.pid !== pid || outcome.seq > before.seq;
}

/** What marks a line of {@linkcode ReloadOutcome.errors} that is not a config error. */
export const RUNTIME_ERROR_PREFIX = "error: ";

/**
 * Each problem in one line, as {@linkcode ReloadOutcome.errors} holds
 * them: a config error's message (`FILE:LINE: ...`), else
 * {@linkcode RUNTIME_ERROR_PREFIX} and the first line of its message.
 *
 * @example
 * ```ts
 * import { errorLines } from "./reload_outcome.ts";
 * import { ConfigError } from "../config/errors.ts";
 * const error = new ConfigError("[aio] shutdown_timeout: must be a number", { source: "aio.conf", line: 3 });
 * console.log(errorLines([error, new Error("Cannot listen")]));
 * // ["aio.conf:3: [aio] shutdown_timeout: must be a number", "error: Cannot listen"]
 * ```
 */
export function errorLines(errors: readonly unknown[]): string[] {
  return errors.flatMap((error) => {
    if (error instanceof ConfigErrors) return errorLines(error.errors);
    if (error instanceof ConfigError) return [error.message];
    const message = error instanceof Error ? error.message : String(error);
    return [RUNTIME_ERROR_PREFIX + firstLine(message)];
  });
}

/**
 * An outcome line as aio prints it: `aio: config error: FILE:LINE: ...`
 * (as `aio check` does) or `aio: error: ...`.
 *
 * @example
 * ```ts
 * import { printedLine } from "./reload_outcome.ts";
 * console.log(printedLine("aio.conf:3: [aio] modules: no module")); // "aio: config error: aio.conf:3: [aio] modules: no module"
 * console.log(printedLine("error: Cannot listen")); // "aio: error: Cannot listen"
 * ```
 */
export function printedLine(line: string): string {
  return line.startsWith(RUNTIME_ERROR_PREFIX)
    ? `aio: ${line}`
    : `aio: config error: ${line}`;
}
