/**
 * What each worker runs. Servers on a TCP port (tcp, tls, http, https) run
 * in every worker, sharing the port through SO_REUSEPORT: the kernel spreads
 * connections among them. The rest runs in one worker, the owner:
 *
 * - udp servers: SO_REUSEADDR on a datagram socket gives every datagram to
 *   the last process bound, so a second worker would take them all;
 * - unix socket servers (and http on a `path`): a second binder replaces the
 *   socket file, and the first one's close would remove the second's;
 * - factory servers: aio cannot tell whether the factory's server can share
 *   its port;
 * - schedules, unless `[schedule/NAME] workers = all`.
 *
 * When the owner dies or is replaced, another worker takes these over.
 *
 * @module
 */

import type { Plan } from "../prepare.ts";
import type { ScheduleDefinition } from "../schedule/mod.ts";
import type { ResolvedServer } from "../server/mod.ts";

/** The transports that share a port across workers. */
const SHARED_TRANSPORTS = new Set(["tcp", "tls", "http", "https"]);

/** Whether every worker runs `server` (on a port it shares with the others). */
export function sharesPort(server: ResolvedServer): boolean {
  const { spec } = server;
  return !server.factory && spec.path === undefined &&
    SHARED_TRANSPORTS.has(spec.transport);
}

/** Whether every worker runs `schedule`. */
export function runsInEveryWorker(schedule: ScheduleDefinition): boolean {
  return schedule.workers === "all";
}

/** The parts only the owner runs, kept apart so that any worker can take them over. */
export interface OwnedParts {
  /** udp, unix and factory servers. */
  servers: ResolvedServer[];
  /** Schedules without `workers = all`. */
  schedules: ScheduleDefinition[];
}

/** How one worker starts. */
export interface WorkerRole {
  /** Whether it runs the owned parts from its start. */
  owner: boolean;
  /** The port of each `port = 0` server that another worker has already bound, by NAME. */
  ports: Readonly<Record<string, number>>;
}

/**
 * Adapts a prepared plan to one worker, in place: shared servers get
 * `reuse_port` (and, for `port = 0`, the port the supervisor knows); the
 * owned parts stay in the plan only for the owner; `[aio/health]` keeps
 * its metrics but serves nothing (the supervisor serves it).
 *
 * @returns The owned parts, for a later take-over.
 *
 * @example
 * ```ts ignore
 * import { adaptPlan } from "./roles.ts";
 * declare const plan: import("../prepare.ts").Plan;
 * const owned = adaptPlan(plan, { owner: false, ports: { web: 8080 } });
 * console.log(owned.schedules.length, plan.schedules.length);
 * ```
 */
export function adaptPlan(plan: Plan, role: WorkerRole): OwnedParts {
  const owned: OwnedParts = { servers: [], schedules: [] };
  const servers: ResolvedServer[] = [];
  for (const resolved of plan.servers) {
    const server = onKnownPort(resolved, role.ports);
    if (!sharesPort(server)) {
      owned.servers.push(resolved);
      if (role.owner) servers.push(server);
      continue;
    }
    servers.push({ ...server, spec: { ...server.spec, reusePort: true } });
  }
  const schedules: ScheduleDefinition[] = [];
  for (const schedule of plan.schedules) {
    if (runsInEveryWorker(schedule)) {
      schedules.push(schedule);
      continue;
    }
    owned.schedules.push(schedule);
    if (role.owner) schedules.push(schedule);
  }
  plan.servers = servers;
  plan.schedules = schedules;
  // The supervisor serves [aio/health]; a worker keeps its metrics for it.
  if (plan.health) plan.health = { ...plan.health, serve: false };
  return owned;
}

/** The NAMEs of the shared servers with `port = 0`: the first worker picks their ports, the others take them. */
export function sharedPortZero(servers: readonly ResolvedServer[]): string[] {
  return portZero(servers.filter(sharesPort));
}

/** The NAMEs of the servers with `port = 0`. */
export function portZero(servers: readonly ResolvedServer[]): string[] {
  return servers.filter((server) => server.spec.port === 0).map((server) =>
    server.spec.name
  );
}

/**
 * `server` on the port the supervisor knows for it, when it asked for
 * port 0 and another worker has bound one: a take-over keeps the address.
 */
export function onKnownPort(
  server: ResolvedServer,
  ports: Readonly<Record<string, number>>,
): ResolvedServer {
  const { spec } = server;
  const port = spec.port === 0 ? ports[spec.name] : undefined;
  return port === undefined ? server : { ...server, spec: { ...spec, port } };
}
