/**
 * What a supervisor tells `aio status` about its workers: a small file
 * beside the pidfile, `PIDFILE.workers.json`, replaced whole (by rename)
 * whenever a worker starts, stops or dies, and every few seconds with the
 * memory each worker reports of itself (so `aio status` needs no `/proc`,
 * which Deno lets only `-A` read). The supervisor removes it when it exits.
 *
 * @module
 */

import { writeFileAtomicSync } from "../config/atomic_write.ts";

/** One worker as `aio status` lists it. */
export interface WorkerState {
  /** Its slot, 1 to N. */
  slot: number;
  /** Its pid. */
  pid: number;
  /** `starting`, `running` or `draining` (a rolling reload's old worker, or a stop). */
  state: "starting" | "running" | "draining";
  /** When it was spawned (ISO 8601). */
  since: string;
  /** How often its slot has been restarted after a worker died. */
  restarts: number;
  /** Its resident memory in bytes, as it last reported it. */
  rss?: number;
  /** Whether it runs the one-worker parts (schedules, udp, unix and factory servers). */
  owner: boolean;
}

/** What `PIDFILE.workers.json` holds. */
export interface WorkersState {
  /** The supervisor's pid. */
  pid: number;
  /** When the supervisor started (ISO 8601). */
  since: string;
  /** The supervisor's resident memory in bytes. */
  rss?: number;
  /** When this was written (ISO 8601). */
  updatedAt: string;
  /** The workers, by slot (a slot may show an old and a new one during a rolling reload). */
  workers: WorkerState[];
}

/** The state file of `pidfile`. */
export function workersStatePath(pidfile: string): string {
  return `${pidfile}.workers.json`;
}

/** Writes the state beside `pidfile`, atomically; never throws. */
export function writeWorkersState(pidfile: string, state: WorkersState): void {
  try {
    writeFileAtomicSync(
      workersStatePath(pidfile),
      `${JSON.stringify(state)}\n`,
    );
  } catch {
    // aio status then shows the supervisor alone.
  }
}

/** The state beside `pidfile`, if its supervisor is `pid`; undefined otherwise. */
export function readWorkersState(
  pidfile: string,
  pid: number | undefined,
): WorkersState | undefined {
  try {
    const value = JSON.parse(
      Deno.readTextFileSync(workersStatePath(pidfile)),
    ) as WorkersState;
    if (!Array.isArray(value?.workers)) return undefined;
    return pid === undefined || value.pid === pid ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Removes the state file (the supervisor is exiting). */
export function removeWorkersState(pidfile: string): void {
  try {
    Deno.removeSync(workersStatePath(pidfile));
  } catch {
    // None there.
  }
}
