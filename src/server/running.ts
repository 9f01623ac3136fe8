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
import { DatagramServer } from "./udp.ts";

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
