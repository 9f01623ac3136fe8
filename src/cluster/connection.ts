/**
 * The node's one connection to NATS: connect as `[aio/cluster] connect`
 * says, keep reconnecting forever with backoff, report the state, log each
 * outage once, and close with a bounded drain.
 *
 * @module
 */

import type {
  ConnectionOptions,
  NatsConnection,
} from "@nats-io/transport-node";
import { AioError } from "../errors.ts";
import { getLogger } from "../logging.ts";
import { type ClusterSpec, redactUrl } from "./config.ts";
import { loadNatsCore, type NatsCore } from "./_nats.ts";
import { messageOf, withTimeout } from "./_timeout.ts";

const logger = getLogger("aio.cluster");

/**
 * Where the connection stands. `connecting`: never connected yet (a
 * `background` start); `connected`; `reconnecting`: lost and being
 * re-dialled; `closed`: {@linkcode ClusterConnection.close} was called.
 */
export type ClusterState =
  | "connecting"
  | "connected"
  | "reconnecting"
  | "closed";

/** A snapshot of the connection, for `aio status` and `/metrics`. */
export interface ClusterStatus {
  /** The state. */
  state: ClusterState;
  /** The server connected to, or last connected to (password hidden). */
  server?: string;
  /** When the state began. */
  since: Date;
  /** How many times the connection was lost since it was opened. */
  outages: number;
}

/** Options for {@linkcode connectCluster}. */
export interface ClusterConnectOptions {
  /**
   * The most a `required` connect may take, every URL tried, before it
   * fails; also the limit of one dial. Default 10,000 ms.
   */
  connectTimeoutMs?: number;
  /** The first wait between two dials in an outage. Default 250 ms. */
  minBackoffMs?: number;
  /** The longest wait between two dials in an outage. Default 5,000 ms. */
  maxBackoffMs?: number;
  /**
   * How often the client pings the server; two missed pongs mark the
   * connection stale and start a reconnect. Default 5,000 ms, so a dead
   * server behind a silent network is noticed within about 15 s.
   */
  pingIntervalMs?: number;
}

/** Called on every change of state. */
export type ClusterStatusListener = (status: ClusterStatus) => void;

/**
 * Opens the node's connection to the cluster.
 *
 * With `connect = required`, resolves once connected, or rejects with an
 * {@linkcode AioError} naming the URLs within `connectTimeoutMs`. With
 * `connect = background`, resolves at once: the connection is made in the
 * background, retried with backoff until it succeeds. Either way, a
 * connection lost later is re-dialled forever.
 *
 * @example
 * ```ts ignore
 * import { connectCluster, readClusterSpec } from "./mod.ts";
 * const spec = readClusterSpec(config, problems);
 * const connection = await connectCluster(spec!);
 * console.log(connection.status.state); // "connected"
 * await connection.close();
 * ```
 *
 * @param spec The checked `[aio/cluster]` section.
 * @param options Timeouts and backoff.
 * @returns The connection.
 */
export async function connectCluster(
  spec: ClusterSpec,
  options: ClusterConnectOptions = {},
): Promise<ClusterConnection> {
  const nats = await loadNatsCore();
  const connection = new ClusterConnection(spec, nats, options);
  if (spec.connect === "required") await connection.dialOnce();
  else connection.dialInBackground();
  return connection;
}

/** The node's connection to NATS; see {@linkcode connectCluster}. */
export class ClusterConnection {
  /** The cluster's name, the prefix of its subjects and bucket. */
  readonly name: string;
  /**
   * This process's id in the cluster, random per start: it marks the
   * cluster signals it sends and the claims it makes.
   */
  readonly nodeId: string;
  /** `HOST/PID`, for people reading claims and logs. */
  readonly nodeLabel: string;

  readonly #spec: ClusterSpec;
  readonly #nats: NatsCore;
  readonly #connectTimeoutMs: number;
  readonly #minBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #pingIntervalMs: number;
  readonly #listeners = new Set<ClusterStatusListener>();
  #client?: NatsConnection;
  #state: ClusterState = "connecting";
  #since = new Date();
  #server?: string;
  #outages = 0;
  #closing = false;
  #wakeDialLoop?: () => void;
  #dialLoop?: Promise<void>;

  /** Use {@linkcode connectCluster}. */
  constructor(
    spec: ClusterSpec,
    nats: NatsCore,
    options: ClusterConnectOptions = {},
  ) {
    this.name = spec.name;
    this.#spec = spec;
    this.#nats = nats;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.#minBackoffMs = options.minBackoffMs ?? 250;
    this.#maxBackoffMs = options.maxBackoffMs ?? 5_000;
    this.#pingIntervalMs = options.pingIntervalMs ?? 5_000;
    this.nodeId = crypto.randomUUID().replaceAll("-", "").slice(0, 16);
    this.nodeLabel = `${hostname()}/${Deno.pid}`;
  }

  /** Where the connection stands now. */
  get status(): ClusterStatus {
    return {
      state: this.#state,
      server: this.#server,
      since: this.#since,
      outages: this.#outages,
    };
  }

  /** Whether messages can be sent now. */
  get connected(): boolean {
    return this.#state === "connected";
  }

  /**
   * The NATS client, once the first connect succeeded; the same object
   * through reconnects (a new one only if the client gave up, for example
   * after repeated authentication errors, and was dialled again).
   */
  get client(): NatsConnection | undefined {
    return this.#client;
  }

  /**
   * Calls `listener` on every change of state.
   *
   * @returns A function that removes the listener.
   */
  onStatus(listener: ClusterStatusListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Closes the connection: subscriptions drain and what was published is
   * flushed, for at most `timeoutMs`; then the connection is closed anyway.
   *
   * @param timeoutMs The bound on the drain. Default 2,000 ms.
   */
  async close(timeoutMs = 2_000): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#wakeDialLoop?.();
    const client = this.#client;
    const wasConnected = this.connected;
    this.#setState("closed");
    if (client !== undefined && !client.isClosed() && !wasConnected) {
      // Nothing can be flushed to a server that is not there.
      await client.close().catch(() => {});
    } else if (client !== undefined && !client.isClosed()) {
      const drained = await withTimeout(
        client.isDraining() ? client.closed() : client.drain(),
        timeoutMs,
      ).then(() => true, () => false);
      if (!drained) {
        logger.warn(
          "NATS connection did not drain within {timeoutMs} ms; closing it",
          { timeoutMs },
        );
        await client.close().catch(() => {});
      }
    }
    // A dial in flight is closed by the loop when it ends; no need to wait.
    if (this.#dialLoop) {
      await withTimeout(this.#dialLoop, timeoutMs).catch(() => {});
    }
  }

  /**
   * One connect, every URL tried once; for `connect = required`.
   * Rejects with an {@linkcode AioError} naming the URLs.
   */
  async dialOnce(): Promise<void> {
    const urls = this.#spec.urls.map(redactUrl).join(", ");
    let client: NatsConnection;
    const dial = this.#nats.connect(this.#clientOptions());
    try {
      client = await withTimeout(dial, this.#connectTimeoutMs);
    } catch (error) {
      // A dial that ends after the deadline must not linger.
      dial.then((late) => late.close(), () => {});
      const reason = messageOf(error);
      throw new AioError(
        `cannot connect to NATS at ${urls}: ${reason} (start the server, or set connect = background in [aio/cluster])`,
        { cause: error },
      );
    }
    this.#adopt(client);
  }

  /** Dials until connected, with backoff; for `connect = background`. */
  dialInBackground(): void {
    this.#dialLoop ??= this.#dialUntilConnected().finally(() => {
      this.#dialLoop = undefined;
    });
  }

  async #dialUntilConnected(): Promise<void> {
    const started = Date.now();
    let logged = false;
    while (!this.#closing) {
      try {
        const client = await this.#nats.connect(this.#clientOptions());
        if (this.#closing) {
          await client.close();
          return;
        }
        if (logged) {
          logger.info("Connected to NATS at {server} after {seconds} s", {
            server: redactUrl(client.getServer()),
            seconds: secondsSince(started),
          });
        }
        this.#adopt(client);
        return;
      } catch (error) {
        if (!logged) {
          logged = true;
          logger.warn(
            "Cannot reach NATS at {urls}: {reason}; the app runs without the cluster and keeps trying",
            {
              urls: this.#spec.urls.map(redactUrl).join(", "),
              reason: messageOf(error),
            },
          );
        }
      }
      await this.#sleep(this.#backoffMs(started));
    }
  }

  /** Takes over a connected client and follows its status. */
  #adopt(client: NatsConnection): void {
    this.#client = client;
    this.#server = redactUrl(client.getServer());
    this.#setState("connected");
    this.#follow(client);
  }

  async #follow(client: NatsConnection): Promise<void> {
    let lostAt = 0;
    for await (const status of client.status()) {
      switch (status.type) {
        case "disconnect":
          // Once per outage: the client reports each dial as "reconnecting".
          if (this.#closing || this.#state === "reconnecting") break;
          lostAt = Date.now();
          this.#outages++;
          logger.warn(
            "Lost the NATS connection to {server}; reconnecting (cluster signals are queued, once-per-cluster schedules skip their slots)",
            { server: redactUrl(status.server) },
          );
          this.#setState("reconnecting");
          break;
        case "reconnect":
          if (this.#closing) break;
          this.#server = redactUrl(status.server);
          logger.info(
            "NATS connection back on {server} after {seconds} s",
            { server: this.#server, seconds: secondsSince(lostAt) },
          );
          this.#setState("connected");
          break;
        case "ldm":
          logger.info("NATS server {server} is going away (lame duck mode)", {
            server: redactUrl(status.server),
          });
          break;
        case "error":
          logger.warn("NATS server error: {reason}", {
            reason: messageOf(status.error),
          });
          break;
      }
    }
    // The client closed itself (it gives up on repeated authentication
    // errors): dial again, as for a background start.
    const reason = await client.closed();
    if (this.#closing || this.#client !== client) return;
    logger.error("The NATS client closed ({reason}); dialling again", {
      reason: reason ? messageOf(reason) : "no reason given",
    });
    this.#outages++;
    this.#setState("reconnecting");
    this.dialInBackground();
  }

  #clientOptions(): ConnectionOptions {
    const spec = this.#spec;
    const options: ConnectionOptions = {
      servers: spec.urls,
      name: `aio ${spec.name} ${this.nodeLabel}`,
      // A node hears its own cluster signals from its local listeners, so
      // the server must not send them back.
      noEcho: true,
      timeout: this.#connectTimeoutMs,
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectDelayHandler: () => this.#backoffMs(this.#since.getTime()),
      pingInterval: this.#pingIntervalMs,
      maxPingOut: 2,
    };
    if (spec.user !== undefined) {
      options.user = spec.user;
      options.pass = spec.password;
    }
    if (spec.token !== undefined) options.token = spec.token;
    if (spec.creds !== undefined) {
      options.authenticator = this.#nats.credsAuthenticator(
        new TextEncoder().encode(spec.creds),
      );
    }
    if (spec.tls) options.tls = spec.tlsCa ? { ca: spec.tlsCa } : {};
    return options;
  }

  /**
   * The wait before the next dial: half the time the outage has lasted,
   * between the minimum and maximum, plus up to 20% jitter so nodes do not
   * dial in step. It grows about geometrically without counting attempts.
   */
  #backoffMs(outageStart: number): number {
    const half = (Date.now() - outageStart) / 2;
    const wait = Math.min(
      this.#maxBackoffMs,
      Math.max(this.#minBackoffMs, half),
    );
    return Math.round(wait * (1 + Math.random() * 0.2));
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wakeDialLoop = done;
    });
  }

  #setState(state: ClusterState): void {
    if (this.#state === "closed" || this.#state === state) return;
    this.#state = state;
    this.#since = new Date();
    const status = this.status;
    for (const listener of this.#listeners) {
      try {
        listener(status);
      } catch (error) {
        logger.error("A cluster status listener failed: {error}", { error });
      }
    }
  }
}

function secondsSince(start: number): number {
  return Math.round((Date.now() - start) / 100) / 10;
}

/** The host's name, when granted without asking (a prompt would hold up the start). */
function hostname(): string {
  try {
    const { state } = Deno.permissions.querySync({
      name: "sys",
      kind: "hostname",
    });
    return state === "granted" ? Deno.hostname() : "unknown-host";
  } catch {
    return "unknown-host";
  }
}
