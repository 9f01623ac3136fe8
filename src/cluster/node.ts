/**
 * A running app's place in the cluster: the parts of this folder put
 * together in the order `aio run` needs them. {@linkcode ClusterNode.join}
 * connects (as `connect` says) and bridges the app's signals, once their
 * `[listen/*]` listeners are attached; {@linkcode ClusterNode.withClaim}
 * gives a `cluster = once` schedule its claim; {@linkcode ClusterNode.close}
 * closes the bridge, then the connection, after the scheduler has stopped.
 *
 * @module
 */

import { getLogger } from "../logging.ts";
import type { ScheduleDefinition } from "../schedule/definition.ts";
import type { Signals } from "../signals.ts";
import { type ScheduleClaims, scheduleClaims } from "./claims.ts";
import { type ClusterSpec, redactUrl } from "./config.ts";
import {
  type ClusterConnection,
  type ClusterConnectOptions,
  type ClusterStatus,
  connectCluster,
} from "./connection.ts";
import { bridgeSignals, type ClusterSignals } from "./signals.ts";

const logger = getLogger("aio.cluster");
/** The least time the connection gets to close, after the bridge. */
const CONNECTION_CLOSE_MIN_MS = 100;

/**
 * What the app shows of its place in the cluster (`app.cluster`, while it
 * runs with `[aio/cluster]`).
 *
 * @example Waiting until a listener added while running hears the cluster
 * ```ts
 * import { app } from "@aio/app";
 *
 * export async function onStarted() {
 *   app.signals!.listen("order-created", (_signal, order) => console.log(order));
 *   // From here on, order-created sent by any node is heard here.
 *   await app.cluster?.ready();
 * }
 * ```
 */
export interface ClusterMember {
  /** The cluster's name (`[aio/cluster] name`). */
  readonly name: string;
  /** This process's id in the cluster (random per start; it marks its claims). */
  readonly nodeId: string;
  /** Where the NATS connection stands: state, server, since when, outages so far. */
  readonly status: ClusterStatus;
  /**
   * Calls `listener` on each change of the connection's state.
   *
   * @returns A function that removes the listener.
   */
  onStatus(listener: (status: ClusterStatus) => void): () => void;
  /**
   * Resolves once the server has the subscriptions of every cluster signal
   * listened to so far (within 2 s): a listener added while the app runs
   * hears the messages sent after that.
   */
  ready(): Promise<void>;
}

/**
 * This process as a node of the cluster that `[aio/cluster]` names.
 *
 * @example
 * ```ts ignore
 * import { ClusterNode } from "./node.ts";
 * // After the [listen/*] listeners are attached:
 * const node = await ClusterNode.join(plan.cluster!, app.signals!);
 * scheduler.add(node.withClaim(definition));
 * // ... at the stop, after the scheduler:
 * await node.close(2_000);
 * ```
 */
export class ClusterNode implements ClusterMember {
  /** The cluster's name (`[aio/cluster] name`), the prefix of its subjects and bucket. */
  readonly name: string;
  readonly #connection: ClusterConnection;
  readonly #claims: ScheduleClaims;
  #bridge: ClusterSignals | undefined;

  private constructor(connection: ClusterConnection) {
    this.name = connection.name;
    this.#connection = connection;
    this.#claims = scheduleClaims(connection);
  }

  /**
   * Connects to NATS and bridges `signals`' cluster signals (those
   * matching `spec.signals`): call it once the config's listeners are
   * attached, so that the bridge subscribes to their signals before it
   * resolves. With `connect = required`, rejects with an `AioError`
   * naming the URLs when no server answers; with `background`, resolves
   * at once and connects when it can.
   *
   * @param spec The checked `[aio/cluster]` section.
   * @param signals The app's signals.
   * @param options Connect timeouts and backoff.
   * @returns The node, connected (or connecting, in the background).
   */
  static async join(
    spec: ClusterSpec,
    signals: Signals,
    options?: ClusterConnectOptions,
  ): Promise<ClusterNode> {
    const connection = await connectCluster(spec, options);
    const node = new ClusterNode(connection);
    if (connection.connected) {
      logger.info("Cluster {name}: connected to NATS at {server}", {
        name: spec.name,
        server: connection.status.server,
      });
    } else {
      logger.info(
        "Cluster {name}: connecting to NATS at {urls} in the background",
        { name: spec.name, urls: spec.urls.map(redactUrl).join(", ") },
      );
    }
    if (spec.signals.length > 0) {
      try {
        node.#bridge = await bridgeSignals(connection, signals, {
          patterns: spec.signals,
        });
      } catch (error) {
        await connection.close(CONNECTION_CLOSE_MIN_MS);
        throw error;
      }
    }
    return node;
  }

  /** This process's id in the cluster (random per start; it marks its claims). */
  get nodeId(): string {
    return this.#connection.nodeId;
  }

  /** Where the connection stands: state, server, since when, outages so far. */
  get status(): ClusterStatus {
    return this.#connection.status;
  }

  /**
   * Calls `listener` on each change of the connection's state.
   *
   * @returns A function that removes the listener.
   */
  onStatus(listener: (status: ClusterStatus) => void): () => void {
    return this.#connection.onStatus(listener);
  }

  /**
   * Resolves once the server has the subscriptions of every cluster signal
   * listened to so far: a listener added while the app runs hears the
   * messages sent after this resolves (bounded, 2 s at most).
   */
  async ready(): Promise<void> {
    await this.#bridge?.ready();
  }

  /**
   * `def` with a claim when it says `cluster = once` (one node runs each
   * slot; the scheduler then puts `every` slots on the epoch, the same on
   * every node); `def` itself otherwise.
   *
   * @param def A schedule definition.
   * @returns The definition to give the scheduler.
   */
  withClaim(def: ScheduleDefinition): ScheduleDefinition {
    if (def.cluster !== "once") return def;
    const claims = this.#claims;
    return { ...def, claim: (slot) => claims.claim(slot.name, slot.slot) };
  }

  /**
   * Leaves the cluster: the bridge closes (messages in flight are flushed,
   * queued ones that cannot be sent are logged as lost), then the
   * connection drains; both within `timeoutMs` (the connection gets at
   * least 100 ms). Call it after the scheduler has stopped.
   *
   * @param timeoutMs The bound on the whole close.
   */
  async close(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    const bridge = this.#bridge;
    this.#bridge = undefined;
    await bridge?.close(timeoutMs);
    await this.#connection.close(
      Math.max(deadline - performance.now(), CONNECTION_CLOSE_MIN_MS),
    );
  }
}
