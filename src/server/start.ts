/**
 * Starting and stopping resolved servers (SPEC 6): each
 * {@linkcode ResolvedServer} becomes a {@linkcode RunningServer}, all or
 * nothing.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { ConfigError, errorAt } from "../config/errors.ts";
import { logLabel } from "./_label.ts";
import type { ServerObserver } from "./observer.ts";
import { AioError, firstLine } from "../errors.ts";
import { bindOptionsOf } from "./bind_options.ts";
import type { ServerSpec } from "./config.ts";
import { createServer } from "./factory.ts";
import { serveHttp } from "./http.ts";
import type { ResolvedServer } from "./resolve.ts";
import { type ClosableServer, RunningServer, type Server } from "./running.ts";
import type { ProtocolClass } from "./transport.ts";
import { readOpenFileLimit } from "./_fd_limit.ts";
import { untilAborted } from "../interrupt.ts";

const logger = getLogger(["aio", "server"]);

/** Options for {@linkcode startServers}. */
export interface StartServersOptions {
  /** How long `close()` lets open connections finish by default, in ms. */
  shutdownTimeoutMs: number;
  /** Hears about connections and responses (for metrics); none by default. */
  observer?: ServerObserver;
  /**
   * A stop during start-up: the wait for a server that is still starting (a
   * slow factory) ends at once with `StartInterrupted` naming it, what
   * started is closed, and the late server is closed when it comes up.
   */
  signal?: AbortSignal;
}

/**
 * Starts `resolved`, in order. When one cannot start, every server already
 * started is closed and an {@linkcode AioError} names the section, address
 * and port (a factory that returns no server is a {@linkcode ConfigError}
 * at its line).
 *
 * @returns The running servers by NAME.
 *
 * @example Starting and stopping
 * ```ts
 * import { startServers, stopServers } from "./mod.ts";
 * import type { ResolvedServer } from "./mod.ts";
 * declare const resolved: ResolvedServer[];
 * const servers = await startServers(resolved, { shutdownTimeoutMs: 10_000 });
 * console.log(Object.keys(servers));
 * await stopServers(servers, 10_000);
 * ```
 */
export async function startServers(
  resolved: readonly ResolvedServer[],
  options: StartServersOptions,
): Promise<Record<string, Server>> {
  if (resolved.length > 0) logOpenFileLimit(resolved);
  const servers: Record<string, Server> = {};
  try {
    for (const item of resolved) {
      servers[item.spec.name] = await untilAborted(
        startServer(item, options),
        options.signal,
        () => `starting server [${item.spec.section}] on ${where(item.spec)}`,
        (late) => late.close(0),
      );
    }
  } catch (error) {
    await stopServers(servers, 0);
    throw error;
  }
  return servers;
}

/**
 * Stops `servers` together: each stops accepting at once, lets open
 * connections and in-flight HTTP requests finish for up to `timeoutMs`,
 * then aborts what is left (protocols get `connectionLost`). Never
 * rejects: a server that fails to close is logged.
 */
export async function stopServers(
  servers: Record<string, Server>,
  timeoutMs: number,
): Promise<void> {
  await Promise.all(
    Object.values(servers).map(async (server) => {
      try {
        if (server instanceof RunningServer) await server.close(timeoutMs);
        else await server.close();
      } catch (error) {
        logger.error("Server {server}: close failed: {error}", {
          server: server.name,
          error,
        });
      }
    }),
  );
}

/** Starts one resolved server; see {@linkcode startServers} for the errors. */
export async function startServer(
  resolved: ResolvedServer,
  options: StartServersOptions,
): Promise<RunningServer> {
  const { spec } = resolved;
  let server: ClosableServer & { addr?: unknown };
  try {
    server = await openServer(resolved, options.observer);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new AioError(
      `Cannot start server [${spec.section}] on ${where(spec)}: ${
        firstLine(reason)
      }`,
      { cause: error },
    );
  }
  const running = new RunningServer(
    resolved,
    addrOf(server, spec),
    server,
    options.shutdownTimeoutMs,
  );
  logger.info("Server {server} listening on {address}", {
    server: spec.name,
    address: formatAddr(running.addr),
  });
  return running;
}

async function openServer(
  resolved: ResolvedServer,
  observer: ServerObserver | undefined,
): Promise<ClosableServer & { addr?: unknown }> {
  const { spec } = resolved;
  const bind = bindOptionsOf(spec);
  const observed = observer ? { observer, observedName: spec.name } : {};
  const limits = {
    idleTimeoutMs: spec.idleTimeoutMs,
    maxConnections: spec.maxConnections,
  };
  if (resolved.handler) {
    return serveHttp(resolved.handler, {
      ...bind,
      ...observed,
      name: logLabel(spec),
    });
  }
  if (resolved.factory) {
    const { hostname, port, ...rest } = bind;
    const result = await resolved.factory(
      spec.name,
      resolved.protocol as ProtocolClass | undefined,
      hostname,
      port,
      { transport: spec.transport, ...rest, ...limits },
    );
    if (!hasClose(result)) {
      throw errorAt(
        spec.factory!.source,
        `[${spec.section}] factory: '${
          spec.factory!.value
        }' must return a server with close(), not ${describe(result)}`,
      );
    }
    return result;
  }
  return await createServer(resolved.protocol!, {
    ...bind,
    ...limits,
    ...observed,
    name: logLabel(spec),
    transport: spec.transport as "tcp" | "udp" | "unix" | "tls",
  });
}

function hasClose(
  value: unknown,
): value is ClosableServer & { addr?: unknown } {
  return (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as { close?: unknown }).close === "function";
}

/** The bound address of what a factory returned, or what the section asked for. */
function addrOf(
  server: { addr?: unknown; address?: unknown },
  spec: ServerSpec,
): Deno.Addr {
  const addr = server.addr as Deno.Addr | undefined;
  if (addr && typeof addr === "object" && "transport" in addr) return addr;
  if (typeof server.address === "function") {
    // node:net and node:dgram servers.
    const bound = (server.address as () => unknown)();
    if (bound && typeof bound === "object" && "port" in bound) {
      const { address, port } = bound as { address: string; port: number };
      const transport = spec.transport === "udp" ? "udp" : "tcp";
      return { transport, hostname: address, port };
    }
  }
  if (spec.path !== undefined) return { transport: "unix", path: spec.path };
  return {
    transport: spec.transport === "udp" ? "udp" : "tcp",
    hostname: spec.address,
    port: spec.port ?? 0,
  };
}

function where(spec: ServerSpec): string {
  if (spec.path !== undefined) return spec.path;
  const host = spec.address.includes(":") ? `[${spec.address}]` : spec.address;
  return `${host}:${spec.port}`;
}

/** An address as people write it: `127.0.0.1:8080`, `[::1]:8080` or a socket path. */
export function formatAddr(addr: Deno.Addr): string {
  if ("path" in addr) return addr.path;
  if ("hostname" in addr) {
    const host = addr.hostname.includes(":")
      ? `[${addr.hostname}]`
      : addr.hostname;
    return `${host}:${addr.port}`;
  }
  return String(addr);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (typeof value === "object") return "an object without close()";
  return `a ${typeof value}`;
}

/**
 * Says what the open file limit is (each connection holds a descriptor),
 * and warns when a server's `max_connections` cannot be reached under it.
 */
function logOpenFileLimit(resolved: readonly ResolvedServer[]): void {
  const limit = readOpenFileLimit();
  if (!limit) return;
  logger.debug(
    "Open file limit {soft} (hard {hard}); Deno raised the soft limit to the hard one at start",
    { soft: limit.soft, hard: limit.hard },
  );
  for (const { spec } of resolved) {
    if (spec.maxConnections === undefined) continue;
    if (spec.maxConnections < limit.soft) continue;
    logger.warn(
      "Server {server}: max_connections = {max} cannot be reached: the open file limit is {soft}",
      { server: spec.name, max: spec.maxConnections, soft: limit.soft },
    );
  }
}
