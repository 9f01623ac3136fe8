/**
 * Slot identities for once-per-cluster schedules. Every node must name a
 * due run the same way, whatever its start time, so the names come from
 * wall-clock time alone:
 *
 * - `every = S` schedules run on a grid anchored on the Unix epoch (due
 *   times `k × S`), not on each node's start; the slot is `k`.
 * - `cron` schedules: the slot is the scheduled time in epoch ms (the time
 *   the pattern names, not the time the run started).
 *
 * Clocks of the nodes must agree to well under the period (NTP does).
 *
 * @module
 */

/**
 * The next due time of an `every` schedule at or after `nowMs`, on the
 * epoch-anchored grid.
 *
 * @example
 * ```ts
 * import { nextEveryDue } from "./slots.ts";
 * console.log(nextEveryDue(1_000_250, 500)); // 1000500
 * ```
 *
 * @param nowMs The current time, epoch ms.
 * @param periodMs The period, ms.
 * @returns The due time, epoch ms.
 */
export function nextEveryDue(nowMs: number, periodMs: number): number {
  return Math.ceil(nowMs / periodMs) * periodMs;
}

/**
 * The slot of the run of an `every` schedule due at `dueMs` (a time from
 * {@linkcode nextEveryDue}, or one period after another).
 *
 * @example
 * ```ts
 * import { everySlot } from "./slots.ts";
 * console.log(everySlot(1_000_500, 500)); // 2001
 * ```
 *
 * @param dueMs When the run was due (not when it started), epoch ms.
 * @param periodMs The period, ms.
 * @returns The slot number, the same on every node.
 */
export function everySlot(dueMs: number, periodMs: number): number {
  // Rounded: due times built by adding periods carry float error.
  return Math.round(dueMs / periodMs);
}

/**
 * The slot of a cron run: the time the pattern scheduled it, epoch ms.
 *
 * @param scheduled The scheduled time (croner's `currentRun`/`nextRun`).
 * @returns The slot number, the same on every node.
 */
export function cronSlot(scheduled: Date | number): number {
  return typeof scheduled === "number" ? scheduled : scheduled.getTime();
}
