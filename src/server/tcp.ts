/**
 * Stream protocol servers: TCP and unix sockets through `Deno.listen`, TLS
 * through `Deno.listenTls`, one protocol instance per connection.
 *
 * @module
 */

import type { BindOptions } from "./bind_options.ts";
import { getLogger } from "@logtape/logtape";
import { settlesWithin, sleep } from "./_deadline.ts";
import { AcceptRetry, logAcceptReport } from "./_accept_retry.ts";
import { idleSweepIntervalMs } from "./_idle.ts";
import { removeSocketFile, removeStaleSocket } from "./_socket_file.ts";
import { REUSE_PORT_NEEDS_FLAG, unstableNetEnabled } from "./_unstable.ts";
import type { ObserverOptions, ServerObserver } from "./observer.ts";
import {
  asError,
  type Protocol,
  type ProtocolClass,
  StreamTransport,
} from "./transport.ts";

const logger = getLogger(["aio", "server"]);
/** While `max_connections` holds accepting back, one log line per this many ms. */
const LIMIT_REPORT_INTERVAL_MS = 60_000;

/** Limits on the connections of a stream server. */
export interface ConnectionLimits {
  /**
   * Close a connection on which no byte moved, in either direction, for
   * this many milliseconds (`idle_timeout`). Unset: never.
   */
  idleTimeoutMs?: number;
  /**
   * While this many connections are open, stop accepting: newcomers wait
   * in the kernel's listen queue, as nginx and HAProxy have them wait
   * (`max_connections`). Unset: no limit.
   */
  maxConnections?: number;
}

/** Options for {@linkcode listenStream}. */
export interface StreamListenOptions
  extends BindOptions, ConnectionLimits, ObserverOptions {
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
    return new StreamServer(listener, protocol, {
      ...limitsOf(options),
      name,
      path: options.path,
    });
  }
  const hostname = options.hostname ?? "0.0.0.0";
  const port = options.port ?? 0;
  if (options.reusePort && !unstableNetEnabled()) {
    // Deno.listen ends the process (it does not throw) when reusePort is
    // asked for without --unstable-net, so refuse first.
    throw new Error(REUSE_PORT_NEEDS_FLAG);
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
    return new StreamServer(listener, protocol, { ...limitsOf(options), name });
  }
  const listener = Deno.listen({ hostname, port, ...reuse });
  return new StreamServer(listener, protocol, { ...limitsOf(options), name });
}

function limitsOf(
  options: ConnectionLimits & ObserverOptions,
): ConnectionLimits & ObserverOptions {
  return {
    idleTimeoutMs: options.idleTimeoutMs,
    maxConnections: options.maxConnections,
    observer: options.observer,
    observedName: options.observedName,
  };
}

/** Options for a {@linkcode StreamServer}. */
export interface StreamServerOptions extends ConnectionLimits, ObserverOptions {
  /** The server's name, for log messages. */
  name: string;
  /** The unix socket path, removed when the server stops. */
  path?: string;
}

/**
 * A listening stream server. `close(timeoutMs)` stops accepting at once,
 * lets open connections finish on their own for up to `timeoutMs`, then
 * aborts the rest (their protocols get `connectionLost`).
 *
 * When `accept()` fails (out of file descriptors, say) it waits and tries
 * again, 5 ms doubling to 1 s, and logs it once per 10 s while it lasts.
 *
 * @example A TCP echo server, closed with a deadline
 * ```ts
 * import { createServer, type Protocol, type Transport } from "@aio/app";
 * class Echo implements Protocol {
 *   #transport?: Transport;
 *   connectionMade(transport: Transport) {
 *     this.#transport = transport;
 *   }
 *   dataReceived(data: Uint8Array) {
 *     this.#transport?.write(data);
 *   }
 * }
 * const server = await createServer(Echo, { hostname: "127.0.0.1", port: 0 });
 * console.log(server.addr);
 * await server.close(1000);
 * ```
 */
export class StreamServer {
  /** The bound address (the real port when 0 was asked for). */
  readonly addr: Deno.Addr;
  readonly #listener: Deno.Listener;
  readonly #path?: string;
  readonly #transports = new Set<StreamTransport>();
  readonly #stopped = new AbortController();
  readonly #accepting: Promise<void>;
  readonly #observer?: ServerObserver;
  readonly #observedName: string;
  #name: string;
  #protocol: ProtocolClass;
  #maxConnections?: number;
  #idleTimeoutMs?: number;
  #idleTimer?: ReturnType<typeof setInterval>;
  #resumeAccepting?: () => void;
  #limitReportedAt = -Infinity;
  #closing?: Promise<void>;

  /** Serves `protocol` on an open `listener`. */
  constructor(
    listener: Deno.Listener,
    protocol: ProtocolClass,
    options: StreamServerOptions,
  ) {
    this.#listener = listener;
    this.#protocol = protocol;
    this.#name = options.name;
    this.#observer = options.observer;
    this.#observedName = options.observedName ?? options.name;
    this.#path = options.path;
    this.addr = listener.addr;
    this.setLimits(options);
    this.#accepting = this.#acceptLoop().then(() => {
      if (this.#path) removeSocketFile(this.#path);
    });
  }

  /** The server's name, for log messages. */
  get name(): string {
    return this.#name;
  }

  /** The open connections. */
  get connections(): ReadonlySet<StreamTransport> {
    return this.#transports;
  }

  /**
   * Serves connections accepted from now on with `protocol` (and logs
   * their failures under `name`); open connections keep the protocol
   * instance they have, so they finish on the old code.
   */
  replaceProtocol(protocol: ProtocolClass, name: string = this.#name): void {
    this.#protocol = protocol;
    this.#name = name;
  }

  /**
   * Applies new limits to the running server: a lower `maxConnections`
   * holds accepting back until enough connections have closed (none is
   * cut), a new `idleTimeoutMs` applies to the open connections too.
   */
  setLimits(limits: ConnectionLimits): void {
    this.#maxConnections = limits.maxConnections;
    if (limits.idleTimeoutMs !== this.#idleTimeoutMs) {
      clearInterval(this.#idleTimer);
      this.#idleTimer = undefined;
      this.#idleTimeoutMs = limits.idleTimeoutMs;
      if (limits.idleTimeoutMs !== undefined && !this.#stopped.signal.aborted) {
        const timer = setInterval(
          () => this.#closeIdle(),
          idleSweepIntervalMs(limits.idleTimeoutMs),
        );
        // The listener keeps the process alive; the sweep must not.
        Deno.unrefTimer(timer);
        this.#idleTimer = timer;
      }
    }
    this.#wakeIfBelowLimit();
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
      this.#wake();
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
    clearInterval(this.#idleTimer);
    const left = [...this.#transports];
    for (const transport of left) transport.abort();
    await Promise.all(left.map((transport) => transport.lost));
  }

  async #acceptLoop(): Promise<void> {
    const signal = this.#stopped.signal;
    const retry = new AcceptRetry((report) =>
      logAcceptReport(this.#name, report)
    );
    while (!signal.aborted) {
      if (this.#atLimit()) {
        this.#reportLimit();
        await new Promise<void>((resolve) => this.#resumeAccepting = resolve);
        continue;
      }
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (signal.aborted) return;
        this.#observer?.acceptFailed?.(this.#observedName);
        await sleep(retry.failed(error), signal);
        continue;
      }
      if (retry.failing) retry.succeeded();
      // A connection accepted as the stop came is ours all the same: it is
      // served, and drains with the others (closing it unserved would fail
      // a client that a worker taking the port over would have served).
      this.#serve(conn);
    }
  }

  #atLimit(): boolean {
    return this.#maxConnections !== undefined &&
      this.#transports.size >= this.#maxConnections;
  }

  #reportLimit(): void {
    const now = performance.now();
    if (now - this.#limitReportedAt < LIMIT_REPORT_INTERVAL_MS) return;
    this.#limitReportedAt = now;
    logger.warn(
      "Server {server}: max_connections ({max}) reached; new connections wait until one closes",
      { server: this.#name, max: this.#maxConnections },
    );
  }

  #wakeIfBelowLimit(): void {
    if (this.#resumeAccepting && !this.#atLimit()) this.#wake();
  }

  #wake(): void {
    const resume = this.#resumeAccepting;
    this.#resumeAccepting = undefined;
    resume?.();
  }

  #closeIdle(): void {
    const timeoutMs = this.#idleTimeoutMs;
    if (timeoutMs === undefined) return;
    const now = performance.now();
    for (const transport of this.#transports) {
      if (transport.idleFor(now) < timeoutMs) continue;
      logger.debug(
        "Server {server}: closing a connection idle for {seconds} s",
        {
          server: this.#name,
          seconds: timeoutMs / 1000,
        },
      );
      transport.abort(
        new Deno.errors.TimedOut(
          `No data in either direction for ${
            timeoutMs / 1000
          } s (idle_timeout)`,
        ),
      );
    }
  }

  #serve(conn: Deno.Conn): void {
    let protocol: Protocol;
    try {
      protocol = new this.#protocol();
    } catch (error) {
      logger.error("Server {server}: protocol constructor failed: {error}", {
        server: this.#name,
        error: asError(error),
      });
      conn.close();
      return;
    }
    const transport = new StreamTransport(conn, protocol, {
      name: this.#name,
      onLost: this.#onLost,
    });
    this.#transports.add(transport);
    this.#observer?.connectionOpened?.(this.#observedName);
    transport.start();
  }

  readonly #onLost = (transport: StreamTransport): void => {
    this.#transports.delete(transport);
    this.#observer?.connectionClosed?.(this.#observedName);
    if (this.#resumeAccepting) this.#wakeIfBelowLimit();
  };
}
