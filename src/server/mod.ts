/**
 * The server layer (SPEC 6): `[server/NAME]` sections resolved
 * ({@linkcode resolveServers}), started ({@linkcode startServers}) and
 * stopped ({@linkcode stopServers}), and the protocol, transport and
 * server classes users write against.
 *
 * @module
 */

export { readServerSpec, SERVER_SECTION_PREFIX } from "./config.ts";
export type { RefOption, ServerSpec, ServerTransport } from "./config.ts";
export { bindOptionsOf } from "./bind_options.ts";
export type { BindOptions, SpecBindOptions } from "./bind_options.ts";
export { resolveServers } from "./resolve.ts";
export type {
  FactoryOptions,
  ResolvedServer,
  ServerFactory,
} from "./resolve.ts";
export { formatAddr, startServers, stopServers } from "./start.ts";
export type { StartServersOptions } from "./start.ts";
export { RunningServer, sameBinding } from "./running.ts";
export { reconcileServers } from "./reconcile.ts";
export type { ReconcileResult } from "./reconcile.ts";
export type { ObserverOptions, ServerObserver } from "./observer.ts";
export type { Server } from "./running.ts";
export { createServer } from "./factory.ts";
export type { CreateServerOptions, ProtocolServer } from "./factory.ts";
export { HttpServer } from "./http.ts";
export type { HttpHandler } from "./http.ts";
export { StreamServer } from "./tcp.ts";
export type { ConnectionLimits, StreamServerOptions } from "./tcp.ts";
export { StreamTransport } from "./transport.ts";
export { DatagramServer } from "./udp.ts";
export type { Protocol, ProtocolClass, Transport } from "./transport.ts";
export type {
  DatagramProtocol,
  DatagramProtocolClass,
  DatagramTransport,
} from "./udp.ts";
