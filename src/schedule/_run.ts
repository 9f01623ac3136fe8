/**
 * One run of a schedule: asking its claim, calling its function within its
 * timeout, and handing the outcome to `cb` or `err`.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { callAt, type Clock } from "./clock.ts";
import type { ScheduleDefinition, ScheduleEvent } from "./definition.ts";

const logger = getLogger(["aio", "schedule"]);

/** How a run ended. */
export interface Settled {
  /** `ok`, `error` (it threw or rejected) or `timeout` (cut at its timeout). */
  outcome: "ok" | "error" | "timeout";
  /** The result, the error, or the `TimeoutError`. */
  value: unknown;
}

/**
 * Calls the schedule's function and waits for it, `def.timeout` (set) at most:
 * then the run's signal aborts with a `TimeoutError` and the run counts as
 * over (its promise is left to settle on its own). Never rejects.
 */
export function callWithin(
  def: ScheduleDefinition,
  event: ScheduleEvent,
  controller: AbortController,
  clock: Clock,
): Promise<Settled> {
  return new Promise((resolve) => {
    let cancel: (() => void) | undefined;
    let done = false;
    const finish = (settled: Settled) => {
      if (done) return;
      done = true;
      cancel?.();
      resolve(settled);
    };
    if (def.timeout !== undefined) {
      const deadline = clock.monotonic() + def.timeout * 1000;
      cancel = callAt(clock, deadline, () => {
        const error = new DOMException(
          `Schedule ${def.name} timed out after ${def.timeout} s`,
          "TimeoutError",
        );
        controller.abort(error);
        finish({ outcome: "timeout", value: error });
      });
    }
    try {
      Promise.resolve(def.func(def.name, event)).then(
        (value) => finish({ outcome: "ok", value }),
        (value) => finish({ outcome: "error", value }),
      );
    } catch (value) {
      finish({ outcome: "error", value });
    }
  });
}

/** What a claim answered: the run is ours, another host's, or the claim failed. */
export type ClaimAnswer = "granted" | "refused" | "failed";

/**
 * Asks `def.claim` whether this host runs the run due at `event.scheduledAt`.
 * A claim that rejects is `failed`: logged as a warning when `quiet` is
 * false, else at debug (one warning per outage, not one per run). One still
 * pending when the run's signal aborts (the stop) is not waited for, and
 * counts as refused.
 */
export async function claimRun(
  def: ScheduleDefinition,
  event: ScheduleEvent,
  quiet: boolean,
): Promise<ClaimAnswer> {
  const scheduledAt = event.scheduledAt;
  const slot = { name: def.name, scheduledAt, slot: String(+scheduledAt) };
  const skipped = { name: def.name, source: def.source, scheduledAt };
  let granted: boolean;
  try {
    granted = await untilAborted(def.claim!(slot), event.signal, false);
  } catch (error) {
    if (event.signal.aborted) return "refused";
    logger[quiet ? "debug" : "warn"](
      "Schedule {name} ({source}) skipped the run due at {scheduledAt}: its claim failed: {error}" +
        (quiet
          ? ""
          : " (until a claim answers, further failures are logged at debug)"),
      { ...skipped, error },
    );
    return "failed";
  }
  if (event.signal.aborted) return "refused";
  if (granted === true) return "granted";
  logger.debug(
    "Schedule {name} ({source}) skipped the run due at {scheduledAt}: claimed elsewhere",
    skipped,
  );
  return "refused";
}

/** Logs a failed run and hands its error to `err`; hands a result to `cb`. */
export async function handOver(
  def: ScheduleDefinition,
  settled: Settled,
  event: ScheduleEvent,
): Promise<void> {
  if (settled.outcome === "ok") {
    if (def.cb) await callBack(def, "cb", def.cb, settled.value, event);
    return;
  }
  const where = { name: def.name, source: def.source ?? "<code>" };
  if (settled.outcome === "timeout") {
    // One line: the stack of a timer says nothing about the run it cut.
    logger.error("Schedule {name} ({source}) timed out after {timeout} s", {
      ...where,
      timeout: def.timeout,
    });
  } else {
    logger.error("Schedule {name} ({source}) failed: {error}", {
      ...where,
      error: settled.value,
    });
  }
  if (def.err) await callBack(def, "err", def.err, settled.value, event);
}

async function callBack(
  def: ScheduleDefinition,
  option: "cb" | "err",
  callback: (value: unknown, event: ScheduleEvent) => unknown,
  value: unknown,
  event: ScheduleEvent,
): Promise<void> {
  try {
    await callback(value, event);
  } catch (error) {
    logger.error("Schedule {name} ({source}): {option} failed: {error}", {
      name: def.name,
      source: def.source ?? "<code>",
      option,
      error,
    });
  }
}

/** `promise`, or `fallback` as soon as `signal` aborts. */
function untilAborted<T>(
  promise: Promise<T>,
  signal: AbortSignal,
  fallback: T,
): Promise<T> {
  if (signal.aborted) return Promise.resolve(fallback);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => resolve(fallback);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() =>
      signal.removeEventListener("abort", onAbort)
    );
  });
}
