/**
 * The cluster layer (`[aio/cluster]`): one NATS connection per node,
 * cluster-wide signals, and claims for once-per-cluster schedules. The
 * NATS client is imported on first connect, so importing this module costs
 * nothing to apps without a cluster.
 *
 * @module
 */

export { CLUSTER_SECTION } from "./section.ts";
export {
  CLUSTER_OPTIONS,
  type ClusterConnectMode,
  type ClusterPermissions,
  clusterPermissions,
  type ClusterSpec,
  DEFAULT_NATS_PORT,
  readClusterSpec,
  redactUrl,
} from "./config.ts";
export {
  ClusterConnection,
  type ClusterConnectOptions,
  type ClusterState,
  type ClusterStatus,
  type ClusterStatusListener,
  connectCluster,
} from "./connection.ts";
export {
  bridgeSignals,
  ClusterSignals,
  type ClusterSignalsOptions,
} from "./signals.ts";
export {
  ScheduleClaims,
  scheduleClaims,
  type ScheduleClaimsOptions,
} from "./claims.ts";
export { type ClusterMember, ClusterNode } from "./node.ts";
export { messageFromJson, messageToJson } from "./message.ts";
export { compilePatterns, patternProblem } from "./patterns.ts";
export { type ClusterStatusReader, registerClusterMetrics } from "./metrics.ts";
