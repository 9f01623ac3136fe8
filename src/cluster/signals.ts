/**
 * Cluster signals: the {@linkcode SignalBridge} that sends the signals named
 * by `[aio/cluster] signals` to every node, on NATS core publish/subscribe.
 *
 * How a cluster signal travels:
 *
 * - `emit` runs the local listeners at once, as for any signal, and
 *   publishes the message (JSON, see `message.ts`) on `NAME.signal.TOKEN`,
 *   TOKEN being the signal name made safe for a subject (`_token.ts`). The
 *   connection is opened with `noEcho`, so the server does not send a
 *   node's messages back to it: the emitting node's listeners hear each
 *   message once, from the emit itself.
 * - Each node subscribes to the subject of each cluster signal it has
 *   listeners for (its `signals` patterns match it), so the server sends a
 *   node only what it listens to, and hands each message to its listeners
 *   with {@linkcode Signals.deliver}, with the same signal name and an equal
 *   message. The body is the bare JSON, so a message published by hand
 *   (`nats pub shop.signal.order-created '{"id":1}'`) is delivered too. A
 *   listener added while running hears what is sent once its subscription
 *   reached the server ({@linkcode ClusterSignals.ready}).
 * - `emit` resolves, to the local listeners' results, once they are done
 *   and the server has acknowledged the message (one flush round trip,
 *   shared by the emits of the same tick), or after `flushTimeoutMs` if
 *   the server is slow to answer.
 *
 * During an outage (before the first connect of a `background` start, or
 * while reconnecting) local listeners run as usual, and the messages wait
 * in an outage queue (8 MiB by default) that is sent, in order, once the
 * connection is back; `emit` resolves as soon as its message is queued.
 * When the queue is full, `emit` rejects with an {@linkcode AioError} after
 * its local listeners ran (the message reached this node only), as a NATS
 * client's publish fails when its reconnect buffer is full. Messages still
 * queued when the app stops are lost, and logged as such.
 *
 * Across a connection drop, delivery is at least once: the messages in
 * flight when the connection dropped (sent, not acknowledged) are sent
 * again after the reconnect, ahead of the queue; if the server had passed
 * one on before the drop, the other nodes hear it twice. (Telling copies
 * apart needs a sender id and a number on every message; in headers or in
 * the subject that cost nats.js 30 to 50% of its throughput here, for a
 * case that needs a connection to drop with messages in flight.)
 *
 * @module
 */

import type {
  Msg,
  NatsConnection,
  Subscription,
} from "@nats-io/transport-node";
import { AioError } from "../errors.ts";
import { getLogger } from "../logging.ts";
import type { SignalBridge, Signals } from "../signals.ts";
import type { ClusterConnection, ClusterStatus } from "./connection.ts";
import { messageFromJson, messageToJson } from "./message.ts";
import { compilePatterns } from "./patterns.ts";
import { encodeToken } from "./_token.ts";
import { messageOf, withTimeout } from "./_timeout.ts";
import { Batch, type Outgoing } from "./_batch.ts";

const logger = getLogger("aio.cluster");

/** Options for {@linkcode bridgeSignals}. */
export interface ClusterSignalsOptions {
  /** Globs of the signal names that go cluster-wide (`[aio/cluster] signals`). */
  patterns: readonly string[];
  /** The most bytes of messages the outage queue holds. Default 8 MiB. */
  queueBytes?: number;
  /** The longest an emit waits for the server's acknowledgement. Default 2,000 ms. */
  flushTimeoutMs?: number;
}

const EMPTY = new Uint8Array(0);
const CACHE_LIMIT = 10_000;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Sends the signals matching `options.patterns` to every node of the
 * cluster, and delivers theirs to `signals`' listeners.
 *
 * @example
 * ```ts ignore
 * import { bridgeSignals, connectCluster } from "./mod.ts";
 * const connection = await connectCluster(spec);
 * const bridge = await bridgeSignals(connection, app.signals, {
 *   patterns: spec.signals,
 * });
 * await app.signals.emit("order-created", { id: 7 }); // every node hears it
 * await bridge.close();
 * await connection.close();
 * ```
 *
 * @param connection The node's connection.
 * @param signals The signals to bridge (the app's).
 * @param options The patterns, and the queue and flush bounds.
 * @returns The bridge, already set on `signals`.
 */
export async function bridgeSignals(
  connection: ClusterConnection,
  signals: Signals,
  options: ClusterSignalsOptions,
): Promise<ClusterSignals> {
  const bridge = new ClusterSignals(connection, signals, options);
  await bridge.start();
  return bridge;
}

/** The bridge between a node's signals and the cluster; see {@linkcode bridgeSignals}. */
export class ClusterSignals implements SignalBridge {
  readonly #connection: ClusterConnection;
  readonly #signals: Signals;
  readonly #prefix: string;
  readonly #matcher: (signal: string) => boolean;
  readonly #queueLimit: number;
  readonly #flushTimeoutMs: number;
  readonly #matches = new Map<string, boolean>();
  readonly #subjects = new Map<string, string>();
  /** The signals to receive (listened to here, matched): their subscriptions. */
  readonly #receiving = new Map<string, Subscription | undefined>();
  #open?: Batch;
  #inFlight: Batch[] = [];
  #queue: Outgoing[] = [];
  #queuedBytes = 0;
  #droppedThisOutage = 0;
  #subscribedOn?: NatsConnection;
  #stopFollowing?: () => void;
  #replayTimer?: ReturnType<typeof setTimeout>;
  #closed = false;

  /** Use {@linkcode bridgeSignals}. */
  constructor(
    connection: ClusterConnection,
    signals: Signals,
    options: ClusterSignalsOptions,
  ) {
    this.#connection = connection;
    this.#signals = signals;
    this.#prefix = `${connection.name}.signal.`;
    this.#matcher = compilePatterns(options.patterns);
    this.#queueLimit = options.queueBytes ?? 8 * 1024 * 1024;
    this.#flushTimeoutMs = options.flushTimeoutMs ?? 2_000;
  }

  /** How many messages wait in the outage queue. */
  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Sets the bridge on the signals and subscribes to the cluster signals
   * they have listeners for: now, or once connected. When connected,
   * resolves once the server has the subscriptions (or after
   * `flushTimeoutMs`), so messages sent from then on are heard.
   */
  async start(): Promise<void> {
    this.#stopFollowing = this.#connection.onStatus((status) =>
      this.#onStatus(status)
    );
    this.#subscribedOn = this.#connection.client;
    this.#signals.setBridge(this);
    await this.ready();
  }

  /**
   * Resolves once the server has every subscription made so far (or after
   * `flushTimeoutMs`): a listener added while running hears the messages
   * sent after that, not the ones already on their way.
   */
  async ready(): Promise<void> {
    const client = this.#subscribedOn;
    if (client === undefined || !this.#connection.connected) return;
    await withTimeout(client.flush(), this.#flushTimeoutMs).catch(() => {});
  }

  /**
   * Subscribes to `signal` if it is a cluster signal: it has listeners here.
   *
   * @param signal A signal name.
   */
  listening(signal: string): void {
    if (this.#closed || this.#receiving.has(signal) || !this.matches(signal)) {
      return;
    }
    this.#receiving.set(signal, this.#subscribe(signal));
  }

  /**
   * Unsubscribes from `signal`: it has no listeners here any more.
   *
   * @param signal A signal name.
   */
  unlistening(signal: string): void {
    this.#receiving.get(signal)?.unsubscribe();
    this.#receiving.delete(signal);
  }

  /**
   * Whether `signal` is a cluster signal.
   *
   * @param signal A signal name.
   */
  matches(signal: string): boolean {
    let matches = this.#matches.get(signal);
    if (matches === undefined) {
      matches = this.#matcher(signal);
      if (this.#matches.size >= CACHE_LIMIT) this.#matches.clear();
      this.#matches.set(signal, matches);
    }
    return matches;
  }

  /**
   * Publishes `message` to the other nodes. Throws a `TypeError` for a
   * message that is not a JSON value, before anything is sent.
   *
   * @param signal The signal's name.
   * @param message The message (JSON value, or `undefined`).
   * @returns A promise that settles once the server acknowledged the
   *   message (or `flushTimeoutMs` passed) or, during an outage, once it is
   *   queued; it rejects when the outage queue is full.
   */
  publish(signal: string, message: unknown): Promise<void> {
    const json = messageToJson(message) ?? "";
    const subject = this.#subjectOf(signal);
    if (this.#closed) {
      return Promise.reject(
        new AioError(
          `cluster signal ${signal} not sent: the cluster bridge is closed`,
        ),
      );
    }
    const client = this.#connection.client;
    if (
      client === undefined || !this.#connection.connected ||
      this.#queue.length > 0
    ) {
      return this.#enqueue({
        signal,
        subject,
        body: json === "" ? EMPTY : encoder.encode(json),
      });
    }
    return this.#send(client, signal, subject, json);
  }

  /**
   * Stops bridging: the signals become local again, queued messages are
   * sent if the connection is up, and what was sent is flushed for at most
   * `timeoutMs`. Messages that could not be sent are logged as lost.
   *
   * @param timeoutMs The bound on the final flush. Default 2,000 ms.
   */
  async close(timeoutMs = 2_000): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#signals.setBridge(undefined);
    this.#stopFollowing?.();
    clearTimeout(this.#replayTimer);
    this.#replay();
    const pending = [...this.#inFlight, ...(this.#open ? [this.#open] : [])];
    if (pending.length > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all(pending.map((batch) => batch.settled)),
        new Promise((resolve) => timer = setTimeout(resolve, timeoutMs)),
      ]);
      clearTimeout(timer);
    }
    for (const subscription of this.#receiving.values()) {
      subscription?.unsubscribe();
    }
    this.#receiving.clear();
    const lost = this.#queue.length +
      this.#inFlight.reduce((sum, batch) => sum + batch.size, 0);
    if (lost > 0) {
      logger.error(
        "{count} cluster signal message(s) were never sent: NATS was unreachable when the app stopped",
        { count: lost },
      );
    }
  }

  #onStatus(status: ClusterStatus): void {
    if (status.state !== "connected" || this.#closed) return;
    const client = this.#connection.client;
    // The first connect of a background start, or a client dialled anew:
    // the subscriptions go on it. (A reconnect keeps them.)
    if (client !== this.#subscribedOn) {
      this.#subscribedOn = client;
      for (const signal of this.#receiving.keys()) {
        this.#receiving.set(signal, this.#subscribe(signal));
      }
    }
    if (this.#droppedThisOutage > 0) {
      logger.error(
        "{count} cluster signal message(s) emitted during the NATS outage reached this node only (the outage queue was full)",
        { count: this.#droppedThisOutage },
      );
      this.#droppedThisOutage = 0;
    }
    this.#replay();
  }

  /**
   * Subscribes to the exact subject of `signal`, so a message's signal is
   * known without reading its subject (decoding it cost a third of the
   * client's time per message).
   */
  #subscribe(signal: string): Subscription | undefined {
    const client = this.#subscribedOn;
    if (client === undefined || client.isClosed()) return undefined;
    return client.subscribe(this.#subjectOf(signal), {
      callback: (error, msg) => {
        if (error) {
          logger.warn("Cluster signal subscription failed: {error}", { error });
        } else this.#receive(signal, msg);
      },
    });
  }

  #receive(signal: string, msg: Msg): void {
    let message: unknown;
    try {
      message = messageFromJson(decoder.decode(msg.data));
    } catch (error) {
      logger.warn(
        "Dropped a cluster signal {signal} whose body is not JSON: {error}",
        { signal, error },
      );
      return;
    }
    this.#signals.deliver(signal, message);
  }

  #send(
    client: NatsConnection,
    signal: string,
    subject: string,
    body: string | Uint8Array,
  ): Promise<void> {
    let batch = this.#open;
    if (batch === undefined) {
      const opened = batch = this.#open = new Batch();
      queueMicrotask(() => this.#flush(client, opened));
    }
    const bytes = batch.add(signal, subject, body);
    try {
      client.publish(subject, bytes);
    } catch (error) {
      batch.dropLast();
      // Closed or draining under our feet: keep it for the next connection,
      // unless the message itself is refused (larger than max_payload).
      if (client.isClosed() || client.isDraining()) {
        return this.#enqueue({ signal, subject, body: bytes.slice() });
      }
      return Promise.reject(
        new AioError(`cluster signal ${signal} not sent: ${messageOf(error)}`),
      );
    }
    return batch.settled;
  }

  #flush(client: NatsConnection, batch: Batch): void {
    if (this.#open === batch) this.#open = undefined;
    if (batch.size === 0) {
      batch.settle();
      return;
    }
    this.#inFlight.push(batch);
    // The emit stops waiting after the bound; the batch stays in flight and
    // is sent again if its flush fails.
    const timer = setTimeout(batch.settle, this.#flushTimeoutMs);
    let flushed: Promise<void>;
    try {
      flushed = client.flush();
    } catch (error) {
      flushed = Promise.reject(error);
    }
    flushed.then(
      () => {
        clearTimeout(timer);
        const index = this.#inFlight.indexOf(batch);
        if (index >= 0) this.#inFlight.splice(index, 1);
        batch.settle();
      },
      () => {
        clearTimeout(timer);
        this.#requeueInFlight();
      },
    );
  }

  /**
   * The connection dropped with batches unacknowledged: they go back to the
   * front of the queue (they are older than anything in it), to be sent
   * again once connected.
   */
  #requeueInFlight(): void {
    const batches = this.#inFlight;
    if (batches.length === 0) return;
    this.#inFlight = [];
    const items = batches.flatMap((batch) => batch.items());
    this.#queue = [...items, ...this.#queue];
    for (const item of items) this.#queuedBytes += sizeOf(item);
    for (const batch of batches) batch.settle();
    // Normally the connection reports the drop and then the reconnect, which
    // replays; if it still says connected, try again shortly.
    if (this.#connection.connected && !this.#closed) {
      clearTimeout(this.#replayTimer);
      this.#replayTimer = setTimeout(() => this.#replay(), 100);
    }
  }

  #enqueue(item: Outgoing): Promise<void> {
    const size = sizeOf(item);
    if (this.#queuedBytes + size > this.#queueLimit) {
      this.#droppedThisOutage++;
      return Promise.reject(
        new AioError(
          `cluster signal ${item.signal} reached this node only: NATS is unreachable and the outage queue is full (${this.#queue.length} messages, ${this.#queuedBytes} bytes)`,
        ),
      );
    }
    this.#queue.push(item);
    this.#queuedBytes += size;
    return Promise.resolve();
  }

  /** Sends the outage queue, in order, if connected. */
  #replay(): void {
    const client = this.#connection.client;
    if (
      this.#queue.length === 0 || client === undefined ||
      !this.#connection.connected
    ) return;
    const items = this.#queue;
    this.#queue = [];
    this.#queuedBytes = 0;
    for (let i = 0; i < items.length; i++) {
      // The emits of these messages resolved when they were queued.
      const { signal, subject, body } = items[i];
      this.#send(client, signal, subject, body).catch(() => {});
      if (this.#queue.length > 0) {
        // The client closed meanwhile: the rest stays queued, in order.
        const rest = items.slice(i + 1);
        this.#queue.push(...rest);
        for (const item of rest) this.#queuedBytes += sizeOf(item);
        return;
      }
    }
  }

  #subjectOf(signal: string): string {
    let subject = this.#subjects.get(signal);
    if (subject === undefined) {
      subject = this.#prefix + encodeToken(signal);
      if (this.#subjects.size >= CACHE_LIMIT) this.#subjects.clear();
      this.#subjects.set(signal, subject);
    }
    return subject;
  }
}

function sizeOf(item: Outgoing): number {
  return item.body.length + item.subject.length;
}
