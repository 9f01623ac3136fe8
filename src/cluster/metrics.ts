/**
 * The cluster connection on `/metrics`: the seam for the health server's
 * metrics wiring, which calls {@linkcode registerClusterMetrics} once with
 * its registry and a way to read the app's node (`() => app.cluster`). The
 * values are read at each scrape, so nothing is counted on a hot path.
 *
 * @module
 */

import type { Registry } from "../metrics/registry.ts";
import type { ClusterState, ClusterStatus } from "./connection.ts";

/** The states, in the order their series appear. */
const STATES: readonly ClusterState[] = [
  "connecting",
  "connected",
  "reconnecting",
  "closed",
];

/** What the metrics read: the node's status, when the app has a cluster. */
export interface ClusterStatusReader {
  /** The node's status now. */
  readonly status: ClusterStatus;
}

/**
 * Registers the cluster's series in `registry`:
 *
 * - `aio_cluster_connected`: 1 while connected to NATS, else 0;
 * - `aio_cluster_state{state}`: 1 for the connection's state, 0 for the others;
 * - `aio_cluster_state_since_seconds`: when that state began (Unix time);
 * - `aio_cluster_outages_total`: connections lost since the start.
 *
 * Register them when the app has `[aio/cluster]`. While `node()` returns
 * undefined (the app is not running), every state reads 0 and the outages
 * keep their last count.
 *
 * @example
 * ```ts
 * import { Registry } from "../metrics/registry.ts";
 * import { registerClusterMetrics } from "./metrics.ts";
 * const registry = new Registry();
 * registerClusterMetrics(registry, () => ({
 *   status: { state: "connected", since: new Date(0), outages: 2 },
 * }));
 * console.log(registry.expose().includes("aio_cluster_outages_total 2")); // true
 * ```
 *
 * @param registry The registry `/metrics` shows.
 * @param node Reads the app's cluster node (`() => app.cluster`).
 */
export function registerClusterMetrics(
  registry: Registry,
  node: () => ClusterStatusReader | undefined,
): void {
  registry.gauge({
    name: "aio_cluster_connected",
    help: "1 while the NATS connection of [aio/cluster] is up, else 0.",
    collect(gauge) {
      gauge.set(node()?.status.state === "connected" ? 1 : 0);
    },
  });
  registry.gauge({
    name: "aio_cluster_state",
    help:
      "The NATS connection's state: 1 for the current one, 0 for the others.",
    labelNames: ["state"],
    collect(gauge) {
      const state = node()?.status.state;
      for (const each of STATES) gauge.labels(each).set(each === state ? 1 : 0);
    },
  });
  registry.gauge({
    name: "aio_cluster_state_since_seconds",
    help: "When the NATS connection entered its current state (Unix time).",
    collect(gauge) {
      const status = node()?.status;
      if (status) gauge.set(status.since.getTime() / 1000);
    },
  });
  registry.counter({
    name: "aio_cluster_outages_total",
    help: "Times the NATS connection was lost since the start.",
    collect(counter) {
      const status = node()?.status;
      if (status) counter.labels().value = status.outages;
    },
  });
}
