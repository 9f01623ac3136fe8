/**
 * Claims for once-per-cluster schedules (`cluster = once`): before a due
 * run, each node tries to claim its slot, and only the node that wins runs
 * it. A claim is a JetStream KV `create` (put-if-absent) of the key
 * `SCHEDULE.SLOT` in the bucket `NAME-schedules`: the server accepts one
 * create per key, so exactly one caller wins, however many race.
 *
 * The bucket keeps one value per key (the winner's `HOST/PID`, its node id
 * and the time, for people asking who ran what) and a max age of one hour
 * by default: claims only need to outlive the spread between the nodes'
 * clocks and start-up delays for one slot, and an hour keeps the bucket
 * small (a schedule every 0.2 s leaves 18,000 keys). The bucket is created
 * with one replica on first use; an operator who wants claims to survive
 * the loss of a NATS server creates it beforehand with more replicas, and
 * aio uses it as it is.
 *
 * While NATS (or JetStream) cannot answer, `claim` rejects, at once when
 * the connection is down, else within its bound: the scheduler counts a
 * rejected claim as refused, so a `once` schedule skips its slots rather
 * than run unclaimed, and logs the first failure of each outage (and the
 * recovery) per schedule. A claim that times out may still have been made
 * on the server; then nobody runs that slot (a slot lost, never run twice).
 *
 * @module
 */

import type { KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { AioError } from "../errors.ts";
import type { ClusterConnection } from "./connection.ts";
import { loadNatsKv } from "./_nats.ts";
import { messageOf, withTimeout } from "./_timeout.ts";
import { encodeToken } from "./_token.ts";

/** JetStream's answer to a create of a key that exists. */
const WRONG_LAST_SEQUENCE = 10071;

/** Options for {@linkcode scheduleClaims}. */
export interface ScheduleClaimsOptions {
  /** The bucket's max age, how long a claim is kept. Default one hour. */
  ttlMs?: number;
  /** The bound on one claim (and on opening the bucket). Default 2,000 ms. */
  timeoutMs?: number;
}

/**
 * The claims of a node's once-per-cluster schedules.
 *
 * @example
 * ```ts ignore
 * import { connectCluster, scheduleClaims } from "./mod.ts";
 * const claims = scheduleClaims(await connectCluster(spec));
 * // The scheduler's claim hook (src/schedule): one run per slot cluster-wide.
 * const claim = ({ name, slot }: { name: string; slot: string }) =>
 *   claims.claim(name, slot);
 * ```
 *
 * @param connection The node's connection.
 * @param options The max age of claims and the bound on a claim.
 * @returns The claims; the bucket is opened (or created) on first use.
 */
export function scheduleClaims(
  connection: ClusterConnection,
  options: ScheduleClaimsOptions = {},
): ScheduleClaims {
  return new ScheduleClaims(connection, options);
}

/** Slot claims in a KV bucket; see {@linkcode scheduleClaims}. */
export class ScheduleClaims {
  /** The KV bucket's name, `NAME-schedules`. */
  readonly bucket: string;
  readonly #connection: ClusterConnection;
  readonly #ttlMs: number;
  readonly #timeoutMs: number;
  #kv?: Promise<KV>;
  #kvClient?: NatsConnection;

  /** Use {@linkcode scheduleClaims}. */
  constructor(
    connection: ClusterConnection,
    options: ScheduleClaimsOptions = {},
  ) {
    this.#connection = connection;
    this.bucket = `${connection.name}-schedules`;
    this.#ttlMs = options.ttlMs ?? 3_600_000;
    this.#timeoutMs = options.timeoutMs ?? 2_000;
  }

  /**
   * Claims `slot` of `schedule` for this node.
   *
   * @param schedule The schedule's name (`NAME` of `[schedule/NAME]`).
   * @param slot The slot, the same on every node: the scheduler's
   *   `ScheduleSlot.slot`, the due time in epoch ms (`every` schedules are
   *   anchored on the epoch when they have a claim, so all nodes agree).
   * @returns `true` for exactly one caller per schedule and slot in the
   *   cluster, `false` for the others. Rejects with an {@linkcode AioError}
   *   when NATS cannot answer (down, no JetStream, too slow).
   */
  async claim(schedule: string, slot: string | number): Promise<boolean> {
    const client = this.#connection.client;
    if (client === undefined || !this.#connection.connected) {
      throw new AioError(
        `cannot claim ${schedule} slot ${slot}: NATS is unreachable`,
      );
    }
    const key = `${encodeToken(schedule)}.${encodeToken(String(slot))}`;
    const value = JSON.stringify({
      node: this.#connection.nodeLabel,
      id: this.#connection.nodeId,
      at: new Date().toISOString(),
    });
    try {
      const kv = await withTimeout(this.#open(client), this.#timeoutMs);
      // create may take two requests (a put, then a get when it lost).
      await withTimeout(kv.create(key, value), this.#timeoutMs * 2);
      return true;
    } catch (error) {
      if (errorCode(error) === WRONG_LAST_SEQUENCE) return false;
      if (this.#kvClient === client) this.#kv = undefined;
      throw new AioError(
        `cannot claim ${schedule} slot ${slot} in NATS KV bucket ${this.bucket}: ${
          messageOf(error)
        }`,
        { cause: error },
      );
    }
  }

  #open(client: NatsConnection): Promise<KV> {
    if (this.#kv === undefined || this.#kvClient !== client) {
      this.#kvClient = client;
      this.#kv = loadNatsKv().then(({ kv, jetstream }) =>
        new kv.Kvm(jetstream.jetstream(client, { timeout: this.#timeoutMs }))
          .create(this.bucket, {
            history: 1,
            ttl: this.#ttlMs,
            description: "aio: claims of once-per-cluster schedule slots",
          })
      );
      // A failed open is retried on the next claim.
      const opening = this.#kv;
      opening.catch(() => {
        if (this.#kv === opening) this.#kv = undefined;
      });
    }
    return this.#kv;
  }
}

function errorCode(error: unknown): unknown {
  return typeof error === "object" && error !== null && "code" in error
    ? error.code
    : undefined;
}
