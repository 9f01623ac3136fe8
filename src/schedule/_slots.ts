/**
 * Where a schedule's runs fall: the grid of slots of an `every` schedule
 * (on the monotonic clock from its start, or on wall-clock multiples of the
 * period since the epoch) or the matches of a `cron` expression.
 *
 * @module
 */

import type { Cron } from "croner";
import { compileCron } from "./_cron.ts";
import type { ScheduleDefinition } from "./definition.ts";

/** The slot state of one schedule. */
export interface Slots {
  /** The period in ms for `every`; 0 for `cron`. */
  readonly period: number;
  /** The compiled expression for `cron`. */
  readonly cron: Cron | null;
  /**
   * Whether the slots are wall-clock times (`cron`, or `every` anchored on
   * the epoch): they follow the wall clock when it jumps. Otherwise they are
   * on the monotonic clock, which never jumps.
   */
  readonly onWall: boolean;
  /** Where slot 0 of a start-anchored `every` schedule lies, on both clocks. */
  originMono: number;
  originWall: number;
  /** The index of the pending `every` slot. */
  slot: number;
  /** The wall time (ms) of the pending run, before jitter. */
  at: number;
}

/**
 * What identifies a definition's slots: a schedule whose key is unchanged
 * keeps its slots across a reload.
 */
export function slotsKey(def: ScheduleDefinition): string {
  return def.cron !== undefined
    ? `cron ${def.cron} ${def.timezone ?? ""}`
    : `every ${periodOf(def)} ${anchorOf(def)}`;
}

/** The `every` period in ms, in whole microseconds so that 0.1 s is exactly 100 ms. */
function periodOf(def: ScheduleDefinition): number {
  return Math.round(def.every! * 1e6) / 1e3;
}

function anchorOf(def: ScheduleDefinition): "start" | "epoch" {
  return def.anchor ?? (def.claim ? "epoch" : "start");
}

/** The slot state of a checked definition, not yet placed. */
export function slotsOf(def: ScheduleDefinition): Slots {
  const cron = def.cron !== undefined;
  return {
    period: cron ? 0 : periodOf(def),
    cron: cron ? compileCron(def.cron!, def.timezone) : null,
    onWall: cron || anchorOf(def) === "epoch",
    originMono: 0,
    originWall: 0,
    slot: 0,
    at: 0,
  };
}

/**
 * Moves `slots` to the first run at or after now (`mono` and `wall` are the
 * same instant on both clocks): now itself for a start-anchored `every`.
 * Returns when it is due on the monotonic clock, or undefined when there is
 * no run to come (a cron expression that matches no more).
 */
export function placeFirst(
  slots: Slots,
  mono: number,
  wall: number,
): number | undefined {
  if (slots.cron) {
    const next = slots.cron.nextRun(new Date(wall));
    if (next === null) return undefined;
    slots.at = next.getTime();
    return mono + (slots.at - wall);
  }
  if (slots.onWall) {
    slots.slot = Math.ceil(wall / slots.period);
    slots.at = slots.slot * slots.period;
    return mono + (slots.at - wall);
  }
  slots.originMono = mono;
  slots.originWall = wall;
  slots.slot = 0;
  slots.at = wall;
  return mono;
}

/**
 * Moves `slots` past the run it held, which fired `late` ms after its timer
 * was due (jitter included: a delay by jitter is not lateness). That run is stale when it is later than the
 * distance to the next one (a blocked event loop, a suspended machine): then
 * the slots move on to the first one still to come, rather than catching up
 * in a burst, and `stale` tells the caller to drop the run.
 */
export function placeNext(
  slots: Slots,
  now: number,
  wall: number,
  late: number,
): { due: number | undefined; stale: boolean } {
  if (!slots.onWall) {
    const { period, originMono } = slots;
    const stale = late >= period;
    let slot = slots.slot + 1;
    if (stale) {
      slot = Math.max(slot, Math.floor((now - originMono) / period) + 1);
    }
    slots.slot = slot;
    slots.at = slots.originWall + slot * period;
    return { due: originMono + slot * period, stale };
  }
  if (!slots.cron) {
    // Slots on the epoch's grid: the same indexes on every host.
    const stale = late >= slots.period;
    let slot = slots.slot + 1;
    if (stale) slot = Math.max(slot, Math.floor(wall / slots.period) + 1);
    slots.slot = slot;
    slots.at = slot * slots.period;
    return { due: now + (slots.at - wall), stale };
  }
  let next = slots.cron.nextRun(new Date(slots.at));
  const stale = next !== null && late >= next.getTime() - slots.at;
  if (stale) next = slots.cron.nextRun(new Date(Math.max(slots.at, wall)));
  if (next === null) return { due: undefined, stale };
  slots.at = next.getTime();
  return { due: now + (slots.at - wall), stale };
}
