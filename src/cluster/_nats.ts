/**
 * The NATS client packages, imported on first use: only apps with
 * `[aio/cluster]` pay for loading them. Everything else in this folder
 * imports their types only.
 *
 * `connect` here is `@nats-io/transport-node`'s, with one fix. Its
 * transport removes every listener from a socket it is done with (after a
 * failed handshake, an authentication error, a close) and destroys it; under
 * Deno, a read already in flight can still end with `ECONNRESET` and emit
 * an `error` event on that socket, which, with no listener, is an uncaught
 * exception that ends the process (about 1 in 200 refused logins here). The
 * guarded transport keeps a no-op `error` listener on every socket it makes.
 *
 * @module
 */

import type {
  ConnectionOptions,
  NatsConnection,
} from "@nats-io/transport-node";
import type { Socket } from "node:net";

type TransportNode = typeof import("@nats-io/transport-node");

/** The parts of the core client aio uses. */
export interface NatsCore {
  /** Connects, with the guarded transport. */
  connect(options: ConnectionOptions): Promise<NatsConnection>;
  /** Makes an empty set of message headers. */
  headers: TransportNode["headers"];
  /** Authenticates with the text of a creds file. */
  credsAuthenticator: TransportNode["credsAuthenticator"];
}

/** `@nats-io/kv`: JetStream key-value buckets. */
export type NatsKv = typeof import("@nats-io/kv");
/** `@nats-io/jetstream`: the JetStream client the KV runs on. */
export type NatsJetStream = typeof import("@nats-io/jetstream");

let core: Promise<NatsCore> | undefined;
let kv: Promise<{ kv: NatsKv; jetstream: NatsJetStream }> | undefined;

/** The core client (connect, headers, credsAuthenticator). */
export function loadNatsCore(): Promise<NatsCore> {
  return core ??= Promise.all([
    import("@nats-io/transport-node"),
    import("@nats-io/transport-node/lib/node_transport.js"),
  ]).then(([nats, transport]) => {
    class GuardedTransport extends transport.NodeTransport {
      override dial(hp: { hostname: string; port: number }) {
        return super.dial(hp).then(guard);
      }
      override startTLS() {
        return super.startTLS().then(guard);
      }
      override tlsFirst(hp: { hostname: string; port: number }) {
        return super.tlsFirst(hp).then(guard);
      }
    }
    return {
      connect(options: ConnectionOptions): Promise<NatsConnection> {
        // What transport-node's own connect does, with our transport. The
        // factory is global to the client; it is set again on each connect.
        nats.setTransportFactory({
          factory: () => new GuardedTransport(),
          dnsResolveFn: transport.nodeResolveHost,
        });
        return nats.NatsConnectionImpl.connect(options);
      },
      headers: nats.headers,
      credsAuthenticator: nats.credsAuthenticator,
    };
  });
}

/** The KV and JetStream clients. */
export function loadNatsKv(): Promise<
  { kv: NatsKv; jetstream: NatsJetStream }
> {
  return kv ??= Promise.all([
    import("@nats-io/kv"),
    import("@nats-io/jetstream"),
  ]).then(([kv, jetstream]) => ({ kv, jetstream }));
}

function ignore(): void {}

/** Keeps a no-op `error` listener on `socket`, even across removeAllListeners. */
function guard<T extends Socket>(socket: T): T {
  const target: Socket = socket;
  const removeAll = target.removeAllListeners;
  target.removeAllListeners = function (
    this: Socket,
    ...event: [(string | symbol)?]
  ): Socket {
    // The same arguments: with none, EventEmitter removes every event.
    removeAll.apply(this, event);
    if (this.listenerCount("error") === 0) this.on("error", ignore);
    return this;
  };
  target.on("error", ignore);
  return socket;
}
