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
 * While NATS (or JetStream) cannot answer, `claim` returns `false`: a
 * `once` schedule skips its slots rather than run unclaimed. The first
 * failure of an outage is logged, and the recovery with the number of
 * slots skipped per schedule. A claim that times out may still have been
 * made on the server; then nobody runs that slot (a slot lost, never run
 * twice).
 *
 * @module
 */

import type { KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { getLogger } from "../logging.ts";
import type { ClusterConnection } from "./connection.ts";
import { loadNatsKv } from "./_nats.ts";
import { messageOf, withTimeout } from "./_timeout.ts";
import { encodeToken } from "./_token.ts";

const logger = getLogger("aio.cluster");

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
 * import { connectCluster, everySlot, scheduleClaims } from "./mod.ts";
 * const claims = scheduleClaims(await connectCluster(spec));
 * if (await claims.claim("nightly-report", everySlot(dueMs, 86_400_000))) {
 *   await run();
 * }
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
  #failing = false;
  readonly #skipped = new Map<string, number>();

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
   * @param slot The slot, the same on every node (see `slots.ts`).
   * @returns `true` for exactly one caller per schedule and slot in the
   *   cluster; `false` for the others, and whenever NATS cannot answer.
   *   Never rejects.
   */
  async claim(schedule: string, slot: string | number): Promise<boolean> {
    const client = this.#connection.client;
    if (client === undefined || !this.#connection.connected) {
      this.#skip(schedule, "NATS is unreachable");
      return false;
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
      this.#recovered();
      return true;
    } catch (error) {
      if (errorCode(error) === WRONG_LAST_SEQUENCE) {
        this.#recovered();
        return false;
      }
      if (this.#kvClient === client) this.#kv = undefined;
      this.#skip(schedule, messageOf(error));
      return false;
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

  #skip(schedule: string, reason: string): void {
    this.#skipped.set(schedule, (this.#skipped.get(schedule) ?? 0) + 1);
    if (this.#failing) return;
    this.#failing = true;
    logger.warn(
      "Once-per-cluster schedules skip their slots until claims work again: cannot claim in NATS KV bucket {bucket}: {reason}",
      { bucket: this.bucket, reason },
    );
  }

  #recovered(): void {
    if (!this.#failing) return;
    this.#failing = false;
    const skipped = [...this.#skipped].map(([name, count]) =>
      `${name} (${count})`
    ).join(", ");
    this.#skipped.clear();
    logger.info("Claims work again; slots skipped meanwhile: {skipped}", {
      skipped,
    });
  }
}

function errorCode(error: unknown): unknown {
  return typeof error === "object" && error !== null && "code" in error
    ? error.code
    : undefined;
}
