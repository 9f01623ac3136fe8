/**
 * `createServer`: the factory aio uses when a `[server/NAME]` section gives
 * only `protocol`, and that a user's `factory` may call.
 *
 * @module
 */

import type { BindOptions } from "./bind_options.ts";
import {
  type ConnectionLimits,
  listenStream,
  type StreamServer,
} from "./tcp.ts";
import type { ProtocolClass } from "./transport.ts";
import type { ObserverOptions } from "./observer.ts";
import {
  type DatagramProtocolClass,
  type DatagramServer,
  listenUdp,
} from "./udp.ts";

/** Options for {@linkcode createServer}. */
export interface CreateServerOptions
  extends BindOptions, ConnectionLimits, ObserverOptions {
  /** `tcp` (default), `udp`, `unix` (needs `path`) or `tls` (needs `cert` and `key`). */
  transport?: "tcp" | "udp" | "unix" | "tls";
}

/** What {@linkcode createServer} returns: a stream server or a UDP endpoint. */
export type ProtocolServer = StreamServer | DatagramServer;

/**
 * Starts a protocol server: one `protocol` instance per connection (per
 * endpoint for udp). Its `close(timeoutMs?)` stops accepting at once, lets
 * open connections finish for up to `timeoutMs` and aborts the rest.
 * Rejects with the runtime's error when the address cannot be bound.
 *
 * @param protocol The protocol class.
 * @param options Where to listen and how.
 * @returns The listening server, with `addr` holding the real port.
 *
 * @example A factory for a `[server/NAME] factory = ./app.ts#factory` line
 * ```ts
 * import { createServer } from "@aio/app";
 * import type { ProtocolClass } from "@aio/app";
 * export function factory(name: string, protocol: ProtocolClass, address: string, port: number) {
 *   return createServer(protocol, { hostname: address, port, name });
 * }
 * ```
 */
export function createServer(
  protocol: ProtocolClass | DatagramProtocolClass,
  options: CreateServerOptions = {},
): Promise<ProtocolServer> {
  if (typeof protocol !== "function") {
    return Promise.reject(
      new TypeError("createServer needs a protocol class"),
    );
  }
  if (options.transport === "udp") {
    return listenUdp(protocol as DatagramProtocolClass, options);
  }
  try {
    return Promise.resolve(listenStream(protocol as ProtocolClass, {
      ...options,
      transport: options.transport ??
        (options.path !== undefined ? "unix" : "tcp"),
    }));
  } catch (error) {
    return Promise.reject(error);
  }
}
