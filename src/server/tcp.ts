/**
 * Stream protocol servers: TCP and unix sockets through `Deno.listen`, TLS
 * through `Deno.listenTls`, one protocol instance per connection.
 *
 * @module
 */

import type { BindOptions } from "./bind_options.ts";
import { getLogger } from "@logtape/logtape";
import { settlesWithin, sleep } from "./_deadline.ts";
import {
  asError,
  type Protocol,
  type ProtocolClass,
  StreamTransport,
} from "./transport.ts";

const logger = getLogger(["aio", "server"]);
/** How long to wait before accepting again after `accept()` failed (e.g. out of file descriptors). */
const ACCEPT_RETRY_MS = 100;

/** Options for {@linkcode listenStream}. */
/** Options for {@linkcode listenStream}. */
export interface StreamListenOptions extends BindOptions {
  /** `tcp` (default), `unix` (needs `path`) or `tls` (needs `cert` and `key`). */
  transport?: "tcp" | "unix" | "tls";
}

/**
 * Listens and serves `protocol`: every accepted connection gets a new
 * instance and a {@linkcode StreamTransport}. Throws what `Deno.listen`
 * throws when the address cannot be bound.
 *
 * @example An echo server on a free port
 * ```ts
 * import { listenStream } from "./tcp.ts";
 * import type { Transport } from "./transport.ts";
 * class Echo {
 *   transport!: Transport;
 *   connectionMade(transport: Transport) { this.transport = transport; }
 *   dataReceived(data: Uint8Array) { this.transport.write(data); }
 * }
 * const server = listenStream(Echo, { hostname: "127.0.0.1", port: 0 });
 * console.log(server.addr);
 * await server.close();
 * ```
 */
export function listenStream(
  protocol: ProtocolClass,
  options: StreamListenOptions = {},
): StreamServer {
  const transport = options.transport ?? "tcp";
  const name = options.name ?? "server";
  if (transport === "unix") {
    if (!options.path) throw new TypeError("A unix server needs a path");
    removeStaleSocket(options.path);
    const listener = Deno.listen({ transport: "unix", path: options.path });
    return new StreamServer(listener, protocol, { name, path: options.path });
  }
  const hostname = options.hostname ?? "0.0.0.0";
  const port = options.port ?? 0;
  if (options.reusePort && !unstableNetEnabled()) {
    // Deno.listen ends the process (it does not throw) when reusePort is
    // asked for without --unstable-net, so refuse first.
    throw new Error("reuse_port on tcp and tls needs deno run --unstable-net");
  }
  const reuse = options.reusePort ? { reusePort: true } : {};
  if (transport === "tls") {
    if (!options.cert || !options.key) {
      throw new TypeError("A tls server needs cert and key");
    }
    const listener = Deno.listenTls({
      hostname,
      port,
      cert: options.cert,
      key: options.key,
      ...reuse,
    });
    return new StreamServer(listener, protocol, { name });
  }
  const listener = Deno.listen({ hostname, port, ...reuse });
  return new StreamServer(listener, protocol, { name });
}

/**
 * A listening stream server. `close(timeoutMs)` stops accepting at once,
 * lets open connections finish on their own for up to `timeoutMs`, then
 * aborts the rest (their protocols get `connectionLost`).
 */
export class StreamServer {
  /** The server's name. */
  readonly name: string;
  /** The bound address (the real port when 0 was asked for). */
  readonly addr: Deno.Addr;
  readonly #listener: Deno.Listener;
  readonly #protocol: ProtocolClass;
  readonly #path?: string;
  readonly #transports = new Set<StreamTransport>();
  readonly #stopped = new AbortController();
  readonly #accepting: Promise<void>;
  #closing?: Promise<void>;

  /** Serves `protocol` on an open `listener`. */
  constructor(
    listener: Deno.Listener,
    protocol: ProtocolClass,
    options: { name: string; path?: string },
  ) {
    this.#listener = listener;
    this.#protocol = protocol;
    this.name = options.name;
    this.#path = options.path;
    this.addr = listener.addr;
    this.#accepting = this.#acceptLoop().then(() => {
      if (this.#path) removeSocketFile(this.#path);
    });
  }

  /** The open connections. */
  get connections(): ReadonlySet<StreamTransport> {
    return this.#transports;
  }

  /**
   * Stops accepting, waits up to `timeoutMs` (default 0) for open
   * connections to close, aborts the rest. Resolves once every socket is
   * released; calling it again returns the same promise.
   */
  close(timeoutMs = 0): Promise<void> {
    this.#closing ??= this.#close(timeoutMs);
    return this.#closing;
  }

  /**
   * Stops accepting new connections; resolves once the listening socket is
   * released (new connections are then refused). Open ones go on.
   */
  stopAccepting(): Promise<void> {
    if (!this.#stopped.signal.aborted) {
      this.#stopped.abort();
      try {
        this.#listener.close();
      } catch {
        // Already closed: the port is free either way.
      }
    }
    return this.#accepting;
  }

  async #close(timeoutMs: number): Promise<void> {
    await this.stopAccepting();
    if (this.#transports.size > 0 && timeoutMs > 0) {
      const lost = [...this.#transports].map((transport) => transport.lost);
      await settlesWithin(Promise.all(lost), timeoutMs);
    }
    const left = [...this.#transports];
    for (const transport of left) transport.abort();
    await Promise.all(left.map((transport) => transport.lost));
  }

  async #acceptLoop(): Promise<void> {
    const signal = this.#stopped.signal;
    while (!signal.aborted) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (signal.aborted) return;
        logger.error("Server {server}: accept failed: {error}", {
          server: this.name,
          error,
        });
        await sleep(ACCEPT_RETRY_MS, signal);
        continue;
      }
      if (signal.aborted) {
        conn.close();
        return;
      }
      this.#serve(conn);
    }
  }

  #serve(conn: Deno.Conn): void {
    let protocol: Protocol;
    try {
      protocol = new this.#protocol();
    } catch (error) {
      logger.error("Server {server}: protocol constructor failed: {error}", {
        server: this.name,
        error: asError(error),
      });
      conn.close();
      return;
    }
    const transport = new StreamTransport(conn, protocol, {
      name: this.name,
      onLost: (done) => this.#transports.delete(done),
    });
    this.#transports.add(transport);
    transport.start();
  }
}

function unstableNetEnabled(): boolean {
  return typeof (Deno as { listenDatagram?: unknown }).listenDatagram ===
    "function";
}

/** Removes a socket file left behind by an earlier run, as asyncio does before it binds. */
function removeStaleSocket(path: string): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch {
    return;
  }
  if (info.isSocket) removeSocketFile(path);
}

function removeSocketFile(path: string): void {
  try {
    Deno.removeSync(path);
  } catch {
    // Gone already.
  }
}
