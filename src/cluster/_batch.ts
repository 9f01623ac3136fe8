/**
 * The cluster signals published in one tick, acknowledged by one flush and
 * kept until then, to be sent again if the connection drops first.
 *
 * They are kept compactly: the bodies in one growing buffer, the subjects
 * and signals as references to strings that exist anyway. Keeping each
 * message as its own objects made a burst of 20,000 emits survive young
 * garbage collections and cost half the throughput.
 *
 * @module
 */

/** A message to publish, on its own (the outage queue holds these). */
export interface Outgoing {
  /** The signal's name, for messages about it. */
  signal: string;
  /** `NAME.signal.TOKEN`. */
  subject: string;
  /** The JSON, UTF-8; empty for no message. */
  body: Uint8Array;
}

const encoder = new TextEncoder();

/** Messages sent together and awaiting one acknowledgement. */
export class Batch {
  /** Resolves when {@linkcode Batch.settle} is called. */
  readonly settled: Promise<void>;
  /** Resolves {@linkcode Batch.settled}; later calls do nothing. */
  readonly settle: () => void;
  readonly #signals: string[] = [];
  readonly #subjects: string[] = [];
  readonly #ends: number[] = [];
  #bytes = new Uint8Array(1024);
  #length = 0;

  constructor() {
    let settle!: () => void;
    this.settled = new Promise<void>((resolve) => settle = resolve);
    this.settle = settle;
  }

  /** How many messages it holds. */
  get size(): number {
    return this.#ends.length;
  }

  /**
   * Adds a message and returns its body, a view into the batch's buffer
   * (written once, never changed).
   *
   * @param signal The signal's name.
   * @param subject Its subject.
   * @param body The JSON text, or its UTF-8 bytes.
   */
  add(signal: string, subject: string, body: string | Uint8Array): Uint8Array {
    const start = this.#length;
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    this.#reserve(typeof body === "string" ? body.length * 3 : body.length);
    if (typeof body === "string") {
      this.#length += encoder.encodeInto(body, this.#bytes.subarray(start))
        .written;
    } else {
      this.#bytes.set(body, start);
      this.#length += body.length;
    }
    this.#signals.push(signal);
    this.#subjects.push(subject);
    this.#ends.push(this.#length);
    return this.#bytes.subarray(start, this.#length);
  }

  /** Forgets the message added last (the client refused it). */
  dropLast(): void {
    this.#signals.pop();
    this.#subjects.pop();
    this.#ends.pop();
    this.#length = this.#ends.at(-1) ?? 0;
  }

  /** The messages, each with a copy of its body. */
  items(): Outgoing[] {
    return this.#ends.map((end, i) => ({
      signal: this.#signals[i],
      subject: this.#subjects[i],
      body: this.#bytes.slice(i === 0 ? 0 : this.#ends[i - 1], end),
    }));
  }

  /**
   * Makes room for `more` bytes. A new buffer, not a resized one: the views
   * handed out keep the old one, whose bytes stay as they were.
   */
  #reserve(more: number): void {
    if (this.#length + more <= this.#bytes.length) return;
    const bytes = new Uint8Array(
      Math.max(this.#bytes.length * 2, this.#length + more),
    );
    bytes.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = bytes;
  }
}
