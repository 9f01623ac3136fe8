/**
 * `[aio/health]`: the health server (`/healthz`, `/readyz`, `/metrics`),
 * its config and the readiness state it reports.
 *
 * @module
 */

export {
  DEFAULT_HEALTH_ADDRESS,
  HEALTH_SECTION,
  type HealthSpec,
  readHealthSpec,
} from "./config.ts";
export { Readiness, type ReadinessPhase } from "./readiness.ts";
export {
  type HealthServer,
  type HealthServerOptions,
  startHealthServer,
} from "./server.ts";
