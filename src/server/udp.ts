/**
 * UDP protocol servers through `node:dgram`, so they run without
 * `--unstable-net`.
 *
 * @module
 */

import type { BindOptions } from "./bind_options.ts";
import type dgram from "node:dgram";
import type { Buffer } from "node:buffer";
import { getLogger } from "@logtape/logtape";

const logger = getLogger(["aio", "server"]);
const encoder = new TextEncoder();

/** The transport of a UDP endpoint, handed to {@linkcode DatagramProtocol.connectionMade}. */
export interface DatagramTransport {
  /** Sends one datagram (strings as UTF-8) to `addr`; returns at once. */
  sendTo(data: Uint8Array | string, addr: Deno.NetAddr): void;
  /** Closes the endpoint once queued datagrams are sent; `connectionLost()` follows. */
  close(): void;
  /** Closes the endpoint at once; `connectionLost()` follows. */
  abort(): void;
  /** Whether `close()` or `abort()` was called. */
  isClosing(): boolean;
  /** The bound address. */
  readonly localAddr: Deno.NetAddr;
  /** Always `undefined`: the endpoint is not connected to one peer. */
  readonly remoteAddr: undefined;
}

/**
 * A UDP protocol: aio makes one instance per endpoint (not per peer).
 *
 * @example A UDP echo
 * ```ts
 * import type { DatagramProtocol, DatagramTransport } from "./udp.ts";
 * class Echo implements DatagramProtocol {
 *   transport!: DatagramTransport;
 *   connectionMade(transport: DatagramTransport) { this.transport = transport; }
 *   datagramReceived(data: Uint8Array, addr: Deno.NetAddr) { this.transport.sendTo(data, addr); }
 * }
 * ```
 */
export interface DatagramProtocol {
  /** The endpoint is bound. */
  connectionMade?(transport: DatagramTransport): void;
  /** A datagram arrived from `addr`; `data` is the protocol's to keep. */
  datagramReceived(data: Uint8Array, addr: Deno.NetAddr): void;
  /** A send or receive failed (e.g. ICMP port unreachable); the endpoint stays open. */
  errorReceived?(error: Error): void;
  /** The endpoint is closed. */
  connectionLost?(error?: Error): void;
}

/** A class whose instances are {@linkcode DatagramProtocol}s. */
export type DatagramProtocolClass = new () => DatagramProtocol;

/** Options for {@linkcode listenUdp}: a UDP endpoint has no socket path or TLS. */
export type UdpListenOptions = Pick<
  BindOptions,
  "name" | "hostname" | "port" | "reusePort"
>;

/**
 * Binds a UDP endpoint and serves `protocol` on it. Rejects with the bind
 * error when the address cannot be bound.
 *
 * @example
 * ```ts
 * import { listenUdp } from "./udp.ts";
 * const server = await listenUdp(class {
 *   datagramReceived(data: Uint8Array) { console.log(data.length); }
 * }, { hostname: "127.0.0.1", port: 0 });
 * await server.close();
 * ```
 */
export async function listenUdp(
  protocol: DatagramProtocolClass,
  options: UdpListenOptions = {},
): Promise<DatagramServer> {
  const hostname = options.hostname ?? "0.0.0.0";
  // node:dgram is imported here, not at the top: it boots part of Deno's
  // Node layer, which apps without a UDP server should not pay for.
  const { createSocket } = await import("node:dgram");
  const socket = createSocket({
    type: hostname.includes(":") ? "udp6" : "udp4",
    reuseAddr: options.reusePort ?? false,
  });
  await new Promise<void>((resolve, reject) => {
    const failed = (error: Error) => {
      socket.close();
      reject(error);
    };
    socket.once("error", failed);
    socket.bind(options.port ?? 0, hostname, () => {
      socket.off("error", failed);
      resolve();
    });
  });
  return new DatagramServer(socket, new protocol(), options.name ?? "server");
}

/**
 * A bound UDP endpoint serving one protocol instance: what
 * {@linkcode createServer} returns for `transport: "udp"`.
 *
 * @example An echo endpoint
 * ```ts
 * import { createServer, DatagramServer, type DatagramTransport } from "@aio/app";
 * class Echo {
 *   #transport?: DatagramTransport;
 *   connectionMade(transport: DatagramTransport) {
 *     this.#transport = transport;
 *   }
 *   datagramReceived(data: Uint8Array, addr: Deno.NetAddr) {
 *     this.#transport?.sendTo(data, addr);
 *   }
 * }
 * const server = await createServer(Echo, { transport: "udp", hostname: "127.0.0.1", port: 0 });
 * if (server instanceof DatagramServer) console.log(server.addr);
 * await server.close();
 * ```
 */
export class DatagramServer implements DatagramTransport {
  /** The bound address (the real port when 0 was asked for). */
  readonly addr: Deno.NetAddr;
  /** Always `undefined`: the endpoint is not connected to one peer. */
  readonly remoteAddr: undefined = undefined;
  readonly #socket: dgram.Socket;
  #protocol: DatagramProtocol;
  #name: string;
  #closing = false;
  #closed: Promise<void>;

  /** Serves `protocol` on a bound `socket` and calls its `connectionMade`. */
  constructor(socket: dgram.Socket, protocol: DatagramProtocol, name: string) {
    this.#name = name;
    this.#socket = socket;
    this.#protocol = protocol;
    const bound = socket.address();
    this.addr = { transport: "udp", hostname: bound.address, port: bound.port };
    this.#closed = new Promise((resolve) => socket.once("close", resolve));
    socket.on("message", (message: Buffer, info: dgram.RemoteInfo) => {
      const data = new Uint8Array(
        message.buffer,
        message.byteOffset,
        message.byteLength,
      );
      const from: Deno.NetAddr = {
        transport: "udp",
        hostname: info.address,
        port: info.port,
      };
      const current = this.#protocol;
      this.#call(
        "datagramReceived",
        () => current.datagramReceived(data, from),
      );
    });
    socket.on("error", (error: Error) => this.#error(error));
    this.#call("connectionMade", () => protocol.connectionMade?.(this));
  }

  /** The server's name, for log messages. */
  get name(): string {
    return this.#name;
  }

  /**
   * Hands the endpoint to a new instance of `protocol`: it gets
   * `connectionMade` now and every datagram from now on; the old instance
   * gets `connectionLost()`. Failures are logged under `name` from then on.
   */
  replaceProtocol(
    protocol: DatagramProtocolClass,
    name: string = this.#name,
  ): void {
    if (this.#closing) return;
    const next = new protocol();
    const old = this.#protocol;
    this.#protocol = next;
    this.#name = name;
    this.#call("connectionMade", () => next.connectionMade?.(this));
    this.#call("connectionLost", () => old.connectionLost?.());
  }

  /** The bound address. */
  get localAddr(): Deno.NetAddr {
    return this.addr;
  }

  /** See {@linkcode DatagramTransport.sendTo}. */
  sendTo(data: Uint8Array | string, addr: Deno.NetAddr): void {
    if (this.#closing) return;
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    this.#socket.send(bytes, addr.port, addr.hostname, (error) => {
      if (error) this.#error(error);
    });
  }

  /** See {@linkcode DatagramTransport.isClosing}. */
  isClosing(): boolean {
    return this.#closing;
  }

  /** See {@linkcode DatagramTransport.abort}. */
  abort(): void {
    this.close();
  }

  /**
   * Closes the endpoint; resolves once the socket is released and
   * `connectionLost` has run. UDP has no connections to wait for, so
   * `timeoutMs` is accepted for symmetry only.
   */
  close(_timeoutMs?: number): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      this.#socket.close();
      this.#closed = this.#closed.then(() => {
        this.#call("connectionLost", () => this.#protocol.connectionLost?.());
      });
    }
    return this.#closed;
  }

  #error(error: Error): void {
    if (this.#closing) return;
    if (this.#protocol.errorReceived) {
      this.#call("errorReceived", () => this.#protocol.errorReceived?.(error));
      return;
    }
    logger.warn("Server {server}: {error}", { server: this.#name, error });
  }

  #call(method: string, callback: () => unknown): void {
    try {
      const result = callback();
      if (result instanceof Promise) {
        result.catch((error) => this.#failed(method, error));
      }
    } catch (error) {
      this.#failed(method, error);
    }
  }

  #failed(method: string, error: unknown): void {
    // One endpoint serves every peer, so a failing callback is logged and
    // the endpoint goes on (closing it would stop the whole server).
    logger.error("Server {server}: {method} failed: {error}", {
      server: this.#name,
      method,
      error,
    });
  }
}
