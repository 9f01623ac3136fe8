/**
 * The outcome of the last reload of a daemon, for `aio reload` to read:
 * `PIDFILE.reload.json`, replaced whole (by rename) after each attempt:
 *
 * ```json
 * {"seq": 3, "outcome": "reloaded", "errors": [], "finishedAt": "2025-01-01T00:00:00.000Z", "pid": 1234}
 * ```
 *
 * `seq` counts the attempts of the process `pid` so far; `aio reload` reads
 * it, sends SIGHUP and waits for a greater one.
 *
 * @module
 */

import { writeFileAtomicSync } from "../config/atomic_write.ts";

/** How a reload ended. */
export type ReloadOutcomeKind = "reloaded" | "failed";

/** What `PIDFILE.reload.json` holds. */
export interface ReloadOutcome {
  /** The attempts of this process so far, this one included. */
  seq: number;
  /** Applied, or refused (the old app goes on). */
  outcome: ReloadOutcomeKind;
  /** Why it failed: `FILE:LINE: ...` lines; empty when it was applied. */
  errors: string[];
  /** When it ended (ISO 8601). */
  finishedAt: string;
  /** The pid of the process that reloaded. */
  pid: number;
}

/** The outcome file of `pidfile`. */
export function reloadOutcomePath(pidfile: string): string {
  return `${pidfile}.reload.json`;
}

/**
 * Writes the outcome beside `pidfile`, atomically. Never throws: a reload
 * that cannot be reported is still a reload (the log says how it went).
 *
 * @example
 * ```ts
 * import { readReloadOutcome, writeReloadOutcome } from "./reload_outcome.ts";
 * const dir = Deno.makeTempDirSync();
 * writeReloadOutcome(`${dir}/aio.pid`, { seq: 1, outcome: "reloaded", errors: [] });
 * console.log(readReloadOutcome(`${dir}/aio.pid`)?.seq); // 1
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export function writeReloadOutcome(
  pidfile: string,
  outcome: Omit<ReloadOutcome, "finishedAt" | "pid">,
): void {
  const record: ReloadOutcome = {
    seq: outcome.seq,
    outcome: outcome.outcome,
    errors: outcome.errors,
    finishedAt: new Date().toISOString(),
    pid: Deno.pid,
  };
  try {
    writeFileAtomicSync(
      reloadOutcomePath(pidfile),
      `${JSON.stringify(record)}\n`,
    );
  } catch {
    // Reported in the log only.
  }
}

/** The outcome beside `pidfile`; undefined when there is none (or it is not whole). */
export function readReloadOutcome(pidfile: string): ReloadOutcome | undefined {
  try {
    const value = JSON.parse(Deno.readTextFileSync(reloadOutcomePath(pidfile)));
    return typeof value?.seq === "number" ? value as ReloadOutcome : undefined;
  } catch {
    return undefined;
  }
}

/** Removes the outcome a process before this one left (its `seq` would confuse `aio reload`). */
export function removeReloadOutcome(pidfile: string): void {
  try {
    Deno.removeSync(reloadOutcomePath(pidfile));
  } catch {
    // None there.
  }
}
