/**
 * The control channel between a supervisor and one worker: JSON messages,
 * one per line, over a socket of their own (stable in Deno, unlike passing
 * descriptors). A line cannot mix with the app's own output: the app writes
 * to stdout and stderr, never to this socket.
 *
 * @module
 */

/** The longest line accepted (a metrics page fits many times over); a longer one closes the channel. */
const MAX_LINE_BYTES = 64 * 1024 * 1024;

/**
 * One end of a control channel.
 *
 * @example
 * ```ts ignore
 * import { Channel } from "./channel.ts";
 * const channel = new Channel<{ type: string }, { type: string }>(
 *   await Deno.connect({ hostname: "127.0.0.1", port: 41234 }),
 * );
 * channel.send({ type: "stopping" });
 * for await (const message of channel.messages()) console.log(message.type);
 * ```
 */
export class Channel<In, Out> {
  readonly #conn: Deno.Conn;
  readonly #encoder = new TextEncoder();
  #writing: Promise<void> = Promise.resolve();
  #closed = false;

  /** Wraps an open connection. */
  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** Whether `close()` was called or a write failed. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends `message` after the ones before it. Never throws: a channel
   * whose peer is gone just closes (the reader sees the end).
   */
  send(message: Out): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const bytes = this.#encoder.encode(`${JSON.stringify(message)}\n`);
    this.#writing = this.#writing.then(() => this.#writeAll(bytes)).catch(
      () => this.close(),
    );
    return this.#writing;
  }

  /** The messages as they come, until the peer closes (or sends a line that is not JSON). */
  async *messages(): AsyncGenerator<In> {
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(64 * 1024);
    let pending = "";
    while (true) {
      let read: number | null;
      try {
        read = await this.#conn.read(buffer);
      } catch {
        read = null;
      }
      if (read === null) break;
      pending += decoder.decode(buffer.subarray(0, read), { stream: true });
      let end: number;
      while ((end = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 1);
        let message: In;
        try {
          message = JSON.parse(line);
        } catch {
          this.close();
          return;
        }
        yield message;
      }
      if (pending.length > MAX_LINE_BYTES) break;
    }
    this.close();
  }

  /** Closes the connection (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Closed already.
    }
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) {
      offset += await this.#conn.write(bytes.subarray(offset));
    }
  }
}
