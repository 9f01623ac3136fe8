/**
 * Moving running servers to a new set of resolved sections without
 * dropping a connection (the reload of issue 15): a server whose binding
 * is unchanged keeps its socket and swaps its code, new ones start,
 * removed ones stop accepting and drain.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { AioError } from "../errors.ts";
import { FIRST_RETRY_MS } from "./_accept_retry.ts";
import type { ResolvedServer } from "./resolve.ts";
import { RunningServer, type Server } from "./running.ts";
import { startServer, type StartServersOptions, stopServers } from "./start.ts";

const logger = getLogger(["aio", "server"]);
/** How long a server that must re-bind its own address waits for the old socket to let go. */
const REBIND_WAIT_MS = 2000;

/** What {@linkcode reconcileServers} did, by server NAME. */
export interface ReconcileResult {
  /** The servers now running, in the new config's order: what `app.servers` becomes. */
  servers: Record<string, Server>;
  /** Kept their socket; new connections get the new code. */
  kept: string[];
  /** Started: new sections, and changed ones that needed a new socket. */
  started: string[];
  /** Stopped accepting and draining: removed sections, and the old side of changed ones. */
  stopped: string[];
  /**
   * Changed sections whose new server could not start on the address the
   * old one had to give up; each runs its old code again (in `servers`)
   * unless that failed too (then it is absent), and the error says why.
   */
  failed: { name: string; error: unknown }[];
  /** Resolves once every stopped server has drained (or its timeout passed). */
  drained: Promise<void>;
}

/**
 * Moves `running` to `resolved`:
 *
 * 1. sections that are new, or changed onto another address, start first;
 *    if one cannot, those are closed again and an {@linkcode AioError} is
 *    thrown with nothing else touched;
 * 2. changed sections that keep their address but need a new socket (TLS
 *    material, kind, a factory, an HTTP handler that now takes a request)
 *    re-bind: the old server stops accepting, the new one binds (new
 *    connections are refused for that moment), the old one drains;
 * 3. unchanged bindings keep their socket ({@linkcode RunningServer.replace});
 * 4. removed sections stop accepting and drain under `shutdownTimeoutMs`.
 *
 * @returns What was kept, started and stopped, and the new `app.servers`.
 *
 * @example A reload's server step
 * ```ts
 * import { reconcileServers } from "./reconcile.ts";
 * import type { ResolvedServer, Server } from "./mod.ts";
 * declare const running: Record<string, Server>;
 * declare const resolved: ResolvedServer[];
 * const result = await reconcileServers(running, resolved, { shutdownTimeoutMs: 10_000 });
 * console.log(result.kept, result.started, result.stopped);
 * ```
 */
export async function reconcileServers(
  running: Readonly<Record<string, Server>>,
  resolved: readonly ResolvedServer[],
  options: StartServersOptions,
): Promise<ReconcileResult> {
  const plans = resolved.map((item) => planFor(running[item.spec.name], item));
  const wanted = new Set(resolved.map((item) => item.spec.name));
  const started: Record<string, Server> = {};
  try {
    for (const plan of plans) {
      if (plan.action === "start" || plan.action === "move") {
        started[plan.item.spec.name] = await startServer(plan.item, options);
      }
    }
  } catch (error) {
    await stopServers(started, 0);
    throw error;
  }
  const result: ReconcileResult = {
    servers: {},
    kept: [],
    started: Object.keys(started),
    stopped: [],
    failed: [],
    drained: Promise.resolve(),
  };
  const draining: Promise<void>[] = [];
  const drain = (server: Server) => {
    result.stopped.push(server.name);
    draining.push(
      Promise.resolve(
        server instanceof RunningServer
          ? server.close(options.shutdownTimeoutMs)
          : server.close(),
      ).catch((error) =>
        logger.error("Server {server}: close failed: {error}", {
          server: server.name,
          error,
        })
      ),
    );
  };
  for (const plan of plans) {
    const name = plan.item.spec.name;
    if (plan.action === "rebind") {
      const outcome = await rebind(plan.old, plan.item, options);
      if (outcome.server) result.servers[name] = outcome.server;
      if (outcome.error === undefined) result.started.push(name);
      else result.failed.push({ name, error: outcome.error });
      drain(plan.old);
    } else if (plan.action === "keep") {
      plan.old.replace(plan.item);
      result.kept.push(name);
      result.servers[name] = plan.old;
    } else {
      result.servers[name] = started[name];
      if (plan.action === "move") drain(plan.old);
    }
  }
  for (const [name, server] of Object.entries(running)) {
    if (!wanted.has(name)) drain(server);
  }
  result.drained = Promise.all(draining).then(() => {});
  return result;
}

type Plan =
  | { action: "start"; item: ResolvedServer }
  | { action: "keep"; item: ResolvedServer; old: RunningServer }
  | { action: "move"; item: ResolvedServer; old: Server }
  | { action: "rebind"; item: ResolvedServer; old: Server };

function planFor(old: Server | undefined, item: ResolvedServer): Plan {
  if (!old) return { action: "start", item };
  if (old instanceof RunningServer && old.canReplace(item)) {
    return { action: "keep", item, old };
  }
  return sharesAddress(old, item)
    ? { action: "rebind", item, old }
    : { action: "move", item, old };
}

/** Whether `item` would bind where `old` listens (a port of 0 binds anywhere). */
function sharesAddress(old: Server, item: ResolvedServer): boolean {
  const { spec } = item;
  const addr = old.addr;
  if (spec.path !== undefined) return "path" in addr && addr.path === spec.path;
  if (!spec.port || !("hostname" in addr) || addr.port !== spec.port) {
    return false;
  }
  // 0.0.0.0 and :: overlap every address of their family.
  const wildcard = (host: string) => host === "0.0.0.0" || host === "::";
  return addr.hostname === spec.address || wildcard(addr.hostname) ||
    wildcard(spec.address);
}

/**
 * The old server gives up its address and the new one takes it, waiting
 * for the old socket to let go. If the new one cannot start, the old code
 * starts again on the address.
 */
async function rebind(
  old: Server,
  item: ResolvedServer,
  options: StartServersOptions,
): Promise<{ server?: Server; error?: unknown }> {
  if (old instanceof RunningServer) await old.stopAccepting();
  else await Promise.resolve(old.close());
  try {
    return { server: await startWhenFree(item, options) };
  } catch (error) {
    logger.error("Server {server}: the changed server did not start: {error}", {
      server: item.spec.name,
      error,
    });
    if (!(old instanceof RunningServer)) return { error };
    try {
      const restored = await startWhenFree(old.resolved, options);
      logger.warn("Server {server}: serving its old code again", {
        server: item.spec.name,
      });
      return { server: restored, error };
    } catch (failure) {
      logger.error(
        "Server {server}: the old code did not start again: {error}",
        {
          server: item.spec.name,
          error: failure,
        },
      );
      return { error };
    }
  }
}

/** Starts `item`, retrying for a while when its address is still held by the server it replaces. */
async function startWhenFree(
  item: ResolvedServer,
  options: StartServersOptions,
): Promise<Server> {
  const end = performance.now() + REBIND_WAIT_MS;
  let wait = FIRST_RETRY_MS;
  while (true) {
    try {
      return await startServer(item, options);
    } catch (error) {
      const inUse = error instanceof AioError &&
        error.cause instanceof Deno.errors.AddrInUse;
      if (!inUse || performance.now() + wait > end) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait *= 2;
    }
  }
}
