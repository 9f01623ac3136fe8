/**
 * CLOCK_MONOTONIC in microseconds, for sd_notify's `MONOTONIC_USEC=`.
 *
 * Deno has no API for it: `performance.now()` counts from the process's
 * start, `performance.timeOrigin` is wall time, and reading `/proc/uptime`
 * needs `--allow-all`. So: the real clock through libc's `clock_gettime`
 * where `--allow-ffi` is granted; else `Deno.osUptime()` (with
 * `--allow-sys=osUptime`): Linux's sysinfo uptime, CLOCK_BOOTTIME rounded
 * up to the second, which is CLOCK_MONOTONIC plus any time the machine
 * spent suspended, so it is never earlier than the real value and at most
 * a second (plus suspended time) later. Never early is what systemd's one
 * use of it needs (with `Type=notify-reload`: is this RELOADING=1 newer
 * than my reload request?). Else nothing.
 *
 * @module
 */

import { loadLibc } from "./_libc.ts";
import { granted } from "./_permissions.ts";

const CLOCK_MONOTONIC = 1;

/** Where a `MONOTONIC_USEC` value came from. */
export type MonotonicSource = "clock_gettime" | "os-uptime";

/**
 * CLOCK_MONOTONIC now, in µs, and how it was read; undefined when this
 * process may use neither FFI nor `Deno.osUptime()`.
 *
 * @example
 * ```ts
 * import { monotonicUsec } from "./monotonic.ts";
 * const now = monotonicUsec();
 * if (now) console.log(`MONOTONIC_USEC=${now.usec} (${now.source})`);
 * ```
 */
export function monotonicUsec():
  | { usec: bigint; source: MonotonicSource }
  | undefined {
  const libc = loadLibc();
  if (libc) {
    const timespec = new BigInt64Array(2);
    if (libc.clock_gettime(CLOCK_MONOTONIC, timespec) === 0) {
      return {
        usec: timespec[0] * 1_000_000n + timespec[1] / 1000n,
        source: "clock_gettime",
      };
    }
  }
  if (!granted({ name: "sys", kind: "osUptime" })) return undefined;
  try {
    return {
      usec: BigInt(Deno.osUptime()) * 1_000_000n,
      source: "os-uptime",
    };
  } catch {
    return undefined;
  }
}
