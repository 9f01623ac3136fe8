/**
 * A started server as the app holds it: {@linkcode Server} is what
 * `app.servers[NAME]` promises, {@linkcode RunningServer} is how aio keeps
 * one it started.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { settlesWithin } from "./_deadline.ts";
import { HttpServer } from "./http.ts";
import type { ResolvedServer } from "./resolve.ts";
import { StreamServer } from "./tcp.ts";
import type { ProtocolClass } from "./transport.ts";
import { type DatagramProtocolClass, DatagramServer } from "./udp.ts";
import { logLabel } from "./_label.ts";

const logger = getLogger(["aio", "server"]);
/** Extra time a user's `close()` gets beyond the shutdown timeout before we stop waiting. */
const USER_CLOSE_GRACE_MS = 1000;

/** A running server, as `app.servers[NAME]` holds it. */
export interface Server {
  /** NAME from `[server/NAME]`. */
  readonly name: string;
  /** The bound address; the real port when 0 was asked for. */
  readonly addr: Deno.Addr;
  /** Stops the server. */
  close(): Promise<void> | void;
}

/** What a factory (or aio) made: anything with `close()`. */
export type ClosableServer = { close(...args: unknown[]): unknown };

/**
 * A server started from a section: `close(timeoutMs?)` stops accepting at
 * once, lets open connections and requests finish for up to `timeoutMs`
 * (default: the `shutdownTimeoutMs` it was started with), then aborts the
 * rest.
 */
export class RunningServer implements Server {
  /** NAME from `[server/NAME]`. */
  readonly name: string;
  /** The bound address; the real port when 0 was asked for. */
  readonly addr: Deno.Addr;
  /** What the factory (or aio) made: a StreamServer, DatagramServer, HttpServer or a factory's own object. */
  readonly server: ClosableServer;
  readonly #defaultTimeoutMs: number;
  #resolved: ResolvedServer;
  #closing?: Promise<void>;

  /** Wraps `server`, started from `resolved` and bound at `addr`. */
  constructor(
    resolved: ResolvedServer,
    addr: Deno.Addr,
    server: ClosableServer,
    defaultTimeoutMs = 0,
  ) {
    this.#resolved = resolved;
    this.name = resolved.spec.name;
    this.addr = addr;
    this.server = server;
    this.#defaultTimeoutMs = defaultTimeoutMs;
  }

  /** The section and references this server runs now. */
  get resolved(): ResolvedServer {
    return this.#resolved;
  }

  /**
   * Whether {@linkcode RunningServer.replace} can take `resolved` without
   * a new socket: same kind, address and TLS material
   * ({@linkcode sameBinding}); for a factory's server, nothing changed at
   * all (aio cannot reach inside it); for HTTP, a handler Deno will give a
   * request to when it needs one.
   */
  canReplace(resolved: ResolvedServer): boolean {
    const old = this.#resolved;
    if (this.#closing || !sameBinding(old, resolved)) return false;
    if (resolved.factory) {
      return resolved.factory === old.factory &&
        resolved.protocol === old.protocol &&
        resolved.spec.idleTimeoutMs === old.spec.idleTimeoutMs &&
        resolved.spec.maxConnections === old.spec.maxConnections;
    }
    const server = this.server;
    if (server instanceof HttpServer) return server.canServe(resolved.handler!);
    return server instanceof StreamServer || server instanceof DatagramServer;
  }

  /**
   * Serves `resolved` on the socket this server already holds: new
   * connections (and HTTP requests) get the new protocol class (or
   * handler) and limits; connections already open finish on the old
   * code. Returns false, changing nothing, when
   * {@linkcode RunningServer.canReplace} says no.
   */
  replace(resolved: ResolvedServer): boolean {
    if (!this.canReplace(resolved)) return false;
    const server = this.server;
    const label = logLabel(resolved.spec);
    if (resolved.factory) {
      // Nothing changed: the factory's server goes on as it is.
    } else if (server instanceof StreamServer) {
      server.replaceProtocol(resolved.protocol as ProtocolClass, label);
      server.setLimits(resolved.spec);
    } else if (server instanceof DatagramServer) {
      server.replaceProtocol(resolved.protocol as DatagramProtocolClass, label);
    } else if (server instanceof HttpServer) {
      server.replaceHandler(resolved.handler!, label);
    }
    this.#resolved = resolved;
    return true;
  }

  /**
   * Lets go of the listening socket (new connections are refused, or go to
   * whoever binds the address next) while open connections go on; resolves
   * once the address is free as far as aio can tell. `close()` then
   * drains.
   */
  async stopAccepting(): Promise<void> {
    const server = this.server;
    if (server instanceof StreamServer) return await server.stopAccepting();
    if (server instanceof DatagramServer) return await server.close();
    // Deno.serve and a factory's server stop accepting as their close
    // begins; the drain goes on in the background.
    this.close().catch(() => {});
  }

  /** Stops the server; see {@linkcode RunningServer}. Calling it again returns the same promise. */
  close(timeoutMs: number = this.#defaultTimeoutMs): Promise<void> {
    this.#closing ??= this.#close(timeoutMs);
    return this.#closing;
  }

  async #close(timeoutMs: number): Promise<void> {
    const server = this.server;
    if (
      server instanceof StreamServer || server instanceof HttpServer ||
      server instanceof DatagramServer
    ) {
      await server.close(timeoutMs);
      return;
    }
    // A factory's own server may know nothing of deadlines (node's
    // net.Server.close waits for every connection): wait, but not forever.
    const closing = Promise.resolve().then(() => server.close());
    if (!await settlesWithin(closing, timeoutMs + USER_CLOSE_GRACE_MS)) {
      logger.warn("Server {server}: close() did not finish in time", {
        server: this.name,
      });
      return;
    }
    await closing;
  }
}

/**
 * Whether two resolved sections ask for the same socket: the same kind
 * (handler, protocol or factory), transport, address, port (0 included),
 * socket path, `reuse_port` and TLS certificate and key. A server whose
 * binding is the same keeps its socket across a reload.
 *
 * @example
 * ```ts
 * import { sameBinding } from "./running.ts";
 * import type { ResolvedServer } from "./resolve.ts";
 * declare const before: ResolvedServer, after: ResolvedServer;
 * if (sameBinding(before, after)) console.log("kept");
 * ```
 */
export function sameBinding(a: ResolvedServer, b: ResolvedServer): boolean {
  const x = a.spec;
  const y = b.spec;
  return kindOf(a) === kindOf(b) && x.transport === y.transport &&
    x.address === y.address && x.port === y.port && x.path === y.path &&
    x.reusePort === y.reusePort && x.cert === y.cert && x.key === y.key;
}

function kindOf(resolved: ResolvedServer): string {
  if (resolved.factory) return "factory";
  return resolved.handler ? "handler" : "protocol";
}
