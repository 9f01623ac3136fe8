/**
 * How `aio status` learns where a daemon's cluster connection stands: the
 * daemon keeps a small JSON file beside its pidfile, `PIDFILE.cluster`,
 * rewritten whole (by rename) on each change of the connection's state and
 * removed when it stops. The file names the daemon's pid, so a file left by
 * a daemon that was killed is told apart from the running one's.
 *
 * @module
 */

import { writeFileAtomicSync } from "../config/atomic_write.ts";
import type { ClusterState, ClusterStatus } from "../cluster/connection.ts";

/** What the cluster status file holds. */
export interface ClusterStatusRecord {
  /** The daemon's pid. */
  pid: number;
  /** The cluster's name. */
  name: string;
  /** The connection's state. */
  state: ClusterState;
  /** The server connected to, or last connected to (password hidden). */
  server?: string;
  /** When the state began (ISO 8601). */
  since: string;
  /** How many times the connection was lost. */
  outages: number;
}

/** What a status file needs of the cluster node (`app.cluster`). */
export interface ClusterStatusSource {
  /** The cluster's name. */
  readonly name: string;
  /** The connection's status now. */
  readonly status: ClusterStatus;
  /** Calls `listener` on each change; returns the function that stops it. */
  onStatus(listener: (status: ClusterStatus) => void): () => void;
}

/** The status file of the daemon whose pidfile is `pidfile`. */
export function clusterStatusPath(pidfile: string): string {
  return `${pidfile}.cluster`;
}

/**
 * Keeps `PIDFILE.cluster` up to date with `node`'s status until the
 * returned function is called, which removes the file. A write that fails
 * (a full disk) is skipped: `aio status` then shows the last state written,
 * or none.
 *
 * @param pidfile The pidfile's path, as the daemon holds it.
 * @param node The cluster node.
 * @returns Stops the updates and removes the file.
 */
export function publishClusterStatus(
  pidfile: string,
  node: ClusterStatusSource,
): () => void {
  const path = clusterStatusPath(pidfile);
  const write = (status: ClusterStatus) => {
    const record: ClusterStatusRecord = {
      pid: Deno.pid,
      name: node.name,
      state: status.state,
      ...(status.server !== undefined && { server: status.server }),
      since: status.since.toISOString(),
      outages: status.outages,
    };
    try {
      writeFileAtomicSync(path, JSON.stringify(record) + "\n");
    } catch {
      // aio status shows the last state written.
    }
  };
  write(node.status);
  const stop = node.onStatus(write);
  return () => {
    stop();
    try {
      Deno.removeSync(path);
    } catch {
      // Already gone.
    }
  };
}

/**
 * The cluster status that the daemon with `pid` wrote beside `pidfile`;
 * undefined when there is none (no cluster, or not written yet) or it was
 * written by another process.
 */
export function readClusterStatus(
  pidfile: string,
  pid: number | undefined,
): ClusterStatusRecord | undefined {
  let record: ClusterStatusRecord;
  try {
    record = JSON.parse(Deno.readTextFileSync(clusterStatusPath(pidfile)));
  } catch {
    return undefined;
  }
  if (typeof record !== "object" || record === null) return undefined;
  if (pid !== undefined && record.pid !== pid) return undefined;
  return record;
}

/**
 * One line for `aio status`.
 *
 * @example
 * ```ts
 * import { formatClusterStatus } from "./cluster_status.ts";
 * formatClusterStatus({
 *   pid: 7, name: "shop", state: "connected", server: "10.0.0.1:4222",
 *   since: "2025-01-01T03:00:00.000Z", outages: 1,
 * });
 * // "cluster shop: connected to 10.0.0.1:4222 since 2025-01-01T03:00:00.000Z, 1 outage"
 * ```
 */
export function formatClusterStatus(record: ClusterStatusRecord): string {
  const where = record.state === "connected"
    ? ` to ${record.server}`
    : record.server
    ? ` (last server ${record.server})`
    : "";
  const outages = `${record.outages} outage${record.outages === 1 ? "" : "s"}`;
  return `cluster ${record.name}: ${record.state}${where} since ${record.since}, ${outages}`;
}
