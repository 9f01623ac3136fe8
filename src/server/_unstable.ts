/**
 * Whether Deno runs with `--unstable-net`. `reusePort` on `Deno.listen`,
 * `Deno.listenTls` and `Deno.serve` needs it, and without it Deno ends the
 * process instead of throwing; so aio asks first and refuses with an error
 * that names the flag.
 *
 * @module
 */

/** The message for `reuse_port` without the flag. */
export const REUSE_PORT_NEEDS_FLAG =
  "reuse_port on tcp, tls and http needs deno run --unstable-net";

/** Whether `--unstable-net` (or `--unstable`) is on: its APIs are then present. */
export function unstableNetEnabled(): boolean {
  return typeof (Deno as { listenDatagram?: unknown }).listenDatagram ===
    "function";
}
