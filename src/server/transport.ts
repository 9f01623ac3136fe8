/**
 * Transports and protocols, as asyncio has them (SPEC 6): aio owns the
 * socket, a protocol instance per connection gets callbacks, and writes go
 * through a buffered {@linkcode Transport}.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";

const logger = getLogger(["aio", "server"]);
const encoder = new TextEncoder();

/**
 * Above this many buffered bytes a stream transport stops reading from its
 * connection (so a peer that sends but never reads cannot grow our memory).
 */
export const HIGH_WATER_MARK = 64 * 1024;
/** Reading resumes once the write buffer has drained to this many bytes. */
export const LOW_WATER_MARK = 16 * 1024;
/** Writes smaller than this are merged into one socket write while one is in flight. */
const MERGE_LIMIT = 64 * 1024;
/** The first read buffer is small so idle connections stay cheap; it doubles when a read fills it. */
const FIRST_READ_SIZE = 512;
const MAX_READ_SIZE = 64 * 1024;
/**
 * Small chunks handed to `dataReceived` are copied into a shared pool (as
 * Node's Buffer pool does): a new ArrayBuffer per read costs more than the
 * echo itself. Chunks above POOLED_MAX get an ArrayBuffer of their own.
 */
const POOL_SIZE = 64 * 1024;
const POOLED_MAX = 4 * 1024;
let pool = new Uint8Array(POOL_SIZE);
let poolOffset = 0;

/** A copy of `source[0, count)` that the protocol may keep. */
function copyChunk(source: Uint8Array, count: number): Uint8Array {
  if (count > POOLED_MAX) return source.slice(0, count);
  if (poolOffset + count > POOL_SIZE) {
    pool = new Uint8Array(POOL_SIZE);
    poolOffset = 0;
  }
  const start = poolOffset;
  pool.set(source.subarray(0, count), start);
  // Keep chunks 8-byte aligned so views like Float64Array can be made on them.
  poolOffset = (start + count + 7) & ~7;
  return pool.subarray(start, start + count);
}

/**
 * The writing side of a connection, handed to
 * {@linkcode Protocol.connectionMade}.
 */
export interface Transport {
  /**
   * Queues `data` (strings are sent as UTF-8) and returns at once. Writes
   * are sent in order. The transport keeps a reference to a `Uint8Array`
   * until it is written, so do not change it afterwards. While more than
   * {@linkcode HIGH_WATER_MARK} bytes wait to be sent, the transport stops
   * reading from the connection; it reads again once the buffer is down to
   * {@linkcode LOW_WATER_MARK}. Writing after `close()` or `abort()` does
   * nothing.
   */
  write(data: Uint8Array | string): void;
  /**
   * Resolves once everything written so far has been handed to the
   * operating system. Rejects when the connection is lost before that.
   */
  drain(): Promise<void>;
  /** Sends what is buffered, then closes; `connectionLost()` follows. */
  close(): void;
  /** Closes at once, dropping what is buffered; `connectionLost()` follows. */
  abort(): void;
  /** Whether `close()` or `abort()` was called, or the connection is gone. */
  isClosing(): boolean;
  /** The bytes written but not yet sent. */
  readonly bufferedAmount: number;
  /** This end's address. */
  readonly localAddr: Deno.Addr;
  /** The peer's address. */
  readonly remoteAddr: Deno.Addr;
}

/**
 * A stream protocol (TCP, unix or TLS): aio makes one instance per
 * connection with `new` and no arguments, then calls these methods.
 *
 * @example The addition server
 * ```ts
 * import type { Protocol, Transport } from "./transport.ts";
 * class Echo implements Protocol {
 *   transport!: Transport;
 *   connectionMade(transport: Transport) { this.transport = transport; }
 *   dataReceived(data: Uint8Array) { this.transport.write(data); }
 * }
 * ```
 */
export interface Protocol {
  /** The connection is open; keep `transport` to write. */
  connectionMade(transport: Transport): void;
  /** Bytes arrived; `data` is the protocol's to keep (small chunks are views into a shared pool, so do not rely on `data.buffer`). */
  dataReceived(data: Uint8Array): void;
  /**
   * The peer closed its writing side. Return `true` to keep the connection
   * half-open (the protocol then closes it); otherwise the transport closes.
   */
  eofReceived?(): boolean | void;
  /** The connection is closed; `error` is set when it broke. Called once. */
  connectionLost?(error?: Error): void;
}

/** A class whose instances are {@linkcode Protocol}s. */
export type ProtocolClass = new () => Protocol;

/** Options for {@linkcode StreamTransport}. */
export interface StreamTransportOptions {
  /** The server's name, for log messages. */
  name: string;
  /** Called once the connection is gone (after `connectionLost`). */
  onLost?: (transport: StreamTransport) => void;
}

/**
 * The {@linkcode Transport} over a `Deno.Conn`: it runs the read loop and
 * calls the protocol. Callbacks that throw (or reject) are logged with the
 * server's name and abort this connection only.
 *
 * The read loop reads into one buffer per connection and hands the
 * protocol a copy of each chunk, so `dataReceived` may keep what it gets.
 * Chunks up to 4 KiB are views into a shared 64 KiB pool (as Node's
 * Buffers are), so `data.buffer` is not the chunk's alone: use `data`
 * itself, or `data.slice()` for a standalone copy.
 *
 * @example Writing back and closing once the peer is done
 * ```ts
 * import type { Protocol, Transport } from "@aio/app";
 * export class Shout implements Protocol {
 *   #transport?: Transport;
 *   connectionMade(transport: Transport) {
 *     this.#transport = transport;
 *   }
 *   dataReceived(data: Uint8Array) {
 *     this.#transport?.write(new TextDecoder().decode(data).toUpperCase());
 *   }
 *   eofReceived() {
 *     this.#transport?.close();
 *   }
 * }
 * ```
 */
export class StreamTransport implements Transport {
  readonly #conn: Deno.Conn;
  readonly #protocol: Protocol;
  readonly #name: string;
  readonly #onLost?: (transport: StreamTransport) => void;
  #queue: Uint8Array[] = [];
  #buffered = 0;
  #writing = false;
  #inFlight?: Uint8Array;
  #closing = false;
  #lost = false;
  #readPaused = false;
  #resumeReading?: () => void;
  #drainWaiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  // Whether bytes moved since the last idle sweep, and when a sweep first saw none (see _idle.ts).
  #active = true;
  #quietSince = 0;
  // Made only when someone waits (a server closing), so idle connections stay small.
  #lostPromise?: Promise<void>;
  #resolveLost?: () => void;
  /** How many times reading was paused because the write buffer was full. */
  pauseCount = 0;

  /** Wraps `conn`; {@linkcode StreamTransport.start} starts it. */
  constructor(
    conn: Deno.Conn,
    protocol: Protocol,
    options: StreamTransportOptions,
  ) {
    this.#conn = conn;
    this.#protocol = protocol;
    this.#name = options.name;
    this.#onLost = options.onLost;
  }

  /** Calls `connectionMade`, then starts reading. */
  start(): void {
    if (this.#connectionMade()) this.#readLoop();
  }

  /** This end's address. */
  get localAddr(): Deno.Addr {
    return this.#conn.localAddr;
  }

  /** The peer's address. */
  get remoteAddr(): Deno.Addr {
    return this.#conn.remoteAddr;
  }

  /** The bytes written but not yet sent. */
  get bufferedAmount(): number {
    return this.#buffered;
  }

  /** Resolves once the connection is gone and `connectionLost` has run. */
  get lost(): Promise<void> {
    if (this.#lost) return Promise.resolve();
    this.#lostPromise ??= new Promise((resolve) => this.#resolveLost = resolve);
    return this.#lostPromise;
  }

  /** Whether reading is paused because the write buffer is over the high-water mark. */
  isReadingPaused(): boolean {
    return this.#readPaused;
  }

  /** See {@linkcode Transport.write}. */
  write(data: Uint8Array | string): void {
    if (this.#closing) return;
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    if (bytes.byteLength === 0) return;
    this.#buffered += bytes.byteLength;
    if (this.#buffered > HIGH_WATER_MARK && !this.#readPaused) {
      this.#pauseReading();
    }
    if (this.#writing) {
      this.#queue.push(bytes);
      return;
    }
    // Nothing in flight: hand the bytes to the socket now, with no queue
    // and no closure of its own (the callbacks are bound once).
    this.#writing = true;
    this.#send(bytes);
  }

  /** See {@linkcode Transport.drain}. */
  drain(): Promise<void> {
    if (this.#buffered === 0 && !this.#lost) return Promise.resolve();
    if (this.#lost) {
      return Promise.reject(new Error("Connection is closed"));
    }
    return new Promise((resolve, reject) => {
      this.#drainWaiters.push({ resolve, reject });
    });
  }

  /** See {@linkcode Transport.close}. */
  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    if (!this.#writing) this.#lose();
  }

  /**
   * See {@linkcode Transport.abort}. `reason`, when given, is the error
   * `connectionLost` gets (an idle timeout, say).
   */
  abort(reason?: Error): void {
    this.#closing = true;
    this.#lose(reason);
  }

  /**
   * How long, in ms as of `now` (`performance.now()`), no byte has moved in
   * either direction, as far as the sweeps that call this can tell: the
   * first call after bytes moved answers 0 and starts counting from `now`.
   */
  idleFor(now: number): number {
    if (this.#active) {
      this.#active = false;
      this.#quietSince = now;
      return 0;
    }
    return now - this.#quietSince;
  }

  /** See {@linkcode Transport.isClosing}. */
  isClosing(): boolean {
    return this.#closing;
  }

  async #readLoop(): Promise<void> {
    const conn = this.#conn;
    const protocol = this.#protocol;
    let buffer = new Uint8Array(FIRST_READ_SIZE);
    while (!this.#lost) {
      if (this.#readPaused) {
        await new Promise<void>((resolve) => this.#resumeReading = resolve);
        continue;
      }
      let count: number | null;
      try {
        count = await conn.read(buffer);
      } catch (error) {
        this.#lose(this.#closing ? undefined : asError(error));
        return;
      }
      if (this.#lost) return;
      if (count === null) {
        this.#eof();
        return;
      }
      this.#active = true;
      if (this.#closing) continue;
      const data = copyChunk(buffer, count);
      if (count === buffer.length && count < MAX_READ_SIZE) {
        buffer = new Uint8Array(count * 2);
      }
      let result: unknown;
      try {
        result = protocol.dataReceived(data);
      } catch (error) {
        this.#fail("dataReceived", error);
        return;
      }
      if (result !== undefined && isThenable(result)) {
        result.then(undefined, (error) => this.#fail("dataReceived", error));
      }
    }
  }

  #eof(): void {
    if (this.#closing) return;
    const protocol = this.#protocol;
    let keepOpen = false;
    if (protocol.eofReceived) {
      try {
        keepOpen = protocol.eofReceived() === true;
      } catch (error) {
        this.#fail("eofReceived", error);
        return;
      }
    }
    if (!keepOpen) this.close();
  }

  /** Calls `connectionMade`; false when it failed and the connection was aborted. */
  #connectionMade(): boolean {
    try {
      const result: unknown = this.#protocol.connectionMade(this);
      if (isThenable(result)) {
        result.then(undefined, (error) => this.#fail("connectionMade", error));
      }
      return true;
    } catch (error) {
      this.#fail("connectionMade", error);
      return false;
    }
  }

  #fail(method: string, error: unknown): void {
    logger.error("Server {server}: {method} failed: {error}", {
      server: this.#name,
      method,
      error,
    });
    this.#closing = true;
    this.#lose(asError(error));
  }

  #send(chunk: Uint8Array): void {
    this.#inFlight = chunk;
    this.#conn.write(chunk).then(this.#onWritten, this.#onWriteFailed);
  }

  readonly #onWritten = (written: number): void => {
    if (this.#lost) return;
    this.#active = true;
    this.#buffered -= written;
    const chunk = this.#inFlight!;
    if (this.#readPaused && this.#buffered <= LOW_WATER_MARK) this.#resume();
    if (written < chunk.byteLength) {
      this.#send(chunk.subarray(written));
    } else if (this.#queue.length > 0) {
      this.#send(this.#takeChunk());
    } else {
      this.#inFlight = undefined;
      this.#writing = false;
      if (this.#drainWaiters.length > 0) {
        const waiters = this.#drainWaiters;
        this.#drainWaiters = [];
        for (const waiter of waiters) waiter.resolve();
      }
      if (this.#closing) this.#lose();
    }
  };

  readonly #onWriteFailed = (error: unknown): void => {
    this.#inFlight = undefined;
    this.#writing = false;
    this.#lose(this.#lost ? undefined : asError(error));
  };

  /** The next chunk to send: small writes are merged so each costs no syscall of its own. */
  #takeChunk(): Uint8Array {
    const queue = this.#queue;
    const first = queue[0];
    if (queue.length === 1 || first.byteLength >= MERGE_LIMIT) {
      queue.shift();
      return first;
    }
    let size = 0;
    let count = 0;
    while (
      count < queue.length && size + queue[count].byteLength <= MERGE_LIMIT
    ) {
      size += queue[count].byteLength;
      count++;
    }
    if (count <= 1) {
      queue.shift();
      return first;
    }
    const merged = new Uint8Array(size);
    let offset = 0;
    for (const part of queue.splice(0, count)) {
      merged.set(part, offset);
      offset += part.byteLength;
    }
    return merged;
  }

  #pauseReading(): void {
    this.#readPaused = true;
    this.pauseCount++;
  }

  #resume(): void {
    this.#readPaused = false;
    const resume = this.#resumeReading;
    this.#resumeReading = undefined;
    resume?.();
  }

  /** Tears the connection down once; `connectionLost` runs last. */
  #lose(error?: Error): void {
    if (this.#lost) return;
    this.#lost = true;
    this.#closing = true;
    const unsent = this.#buffered > 0;
    this.#queue = [];
    this.#buffered = 0;
    try {
      this.#conn.close();
    } catch {
      // Already closed by the peer or the runtime: nothing left to release.
    }
    this.#resume();
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const waiter of waiters) {
      if (unsent) waiter.reject(error ?? new Error("Connection is closed"));
      else waiter.resolve();
    }
    if (this.#protocol.connectionLost) {
      try {
        this.#protocol.connectionLost(error);
      } catch (failure) {
        logger.error("Server {server}: {method} failed: {error}", {
          server: this.#name,
          method: "connectionLost",
          error: failure,
        });
      }
    }
    this.#onLost?.(this);
    this.#resolveLost?.();
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === "object" &&
    typeof (value as PromiseLike<unknown>).then === "function";
}

/** `value` as an Error, so `connectionLost` always gets one. */
export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
