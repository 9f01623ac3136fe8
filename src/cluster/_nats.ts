/**
 * The NATS client packages, imported on first use: only apps with
 * `[aio/cluster]` pay for loading them. Everything else in this folder
 * imports their types only.
 *
 * @module
 */

/** `@nats-io/transport-node`: connect, headers, authenticators. */
export type NatsCore = typeof import("@nats-io/transport-node");
/** `@nats-io/kv`: JetStream key-value buckets. */
export type NatsKv = typeof import("@nats-io/kv");
/** `@nats-io/jetstream`: the JetStream client the KV runs on. */
export type NatsJetStream = typeof import("@nats-io/jetstream");

let core: Promise<NatsCore> | undefined;
let kv: Promise<{ kv: NatsKv; jetstream: NatsJetStream }> | undefined;

/** The core client (connect, headers, credsAuthenticator). */
export function loadNatsCore(): Promise<NatsCore> {
  return core ??= import("@nats-io/transport-node");
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
