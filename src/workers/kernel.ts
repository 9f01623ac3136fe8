/**
 * What Linux does with connections queued on a listening socket that
 * closes while others share its port (SO_REUSEPORT): with
 * `net.ipv4.tcp_migrate_req = 1` (Linux 5.14 and later) it moves them to
 * another socket of the port; otherwise it resets them. A worker that
 * drains (a rolling reload, a restart) closes its sockets, so a reload
 * under load loses nothing only with the setting on.
 *
 * @module
 */

import { readProc } from "../daemon/_proc.ts";

/** The sysctl that makes Linux move queued connections to another socket of the port. */
export const MIGRATE_SYSCTL = "net.ipv4.tcp_migrate_req";

/**
 * Whether Linux moves the connections queued on a closing listening
 * socket to another one of its port; undefined where it cannot be read
 * (not Linux, or `/proc` not readable: Deno lets only `-A` read it).
 */
export function migratesQueuedConnections(): boolean | undefined {
  const text = readProc(`/proc/sys/${MIGRATE_SYSCTL.replaceAll(".", "/")}`);
  return text === undefined ? undefined : text.trim() !== "0";
}
