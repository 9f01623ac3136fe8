// Load clients for the stress app that can tell, for every request, whether
// the server accepted it: a request is accepted once any byte of its answer
// came back. An accepted request whose answer is cut short or wrong is a loss.
// A connection that is refused, or answers nothing, was not accepted.

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const HOST = "127.0.0.1";

/** Counters of one kind of client (http or tcp). */
export interface ClientStats {
  /** Requests answered in full and correctly. */
  complete: number;
  /** Requests sent on a connection that then closed with no byte of answer. */
  notAccepted: number;
  /** Requests whose answer was cut short or wrong: losses. */
  lost: number;
  /** Connections refused. */
  refused: number;
  /** Refusals of connections started before the stop. */
  refusedBeforeStop: number;
  /** Other connect failures (reset, timeout). */
  connectFailed: number;
  /** Connections that succeeded though they started after a refusal: the server took new ones after its stop began. */
  acceptedAfterRefusal: number;
  /** When (performance.now()) the first refusal came back. */
  firstRefusalAt?: number;
  /** The first few losses, described. */
  lossDetails: string[];
}

/** Makes empty counters. */
export function newStats(): ClientStats {
  return {
    complete: 0,
    notAccepted: 0,
    lost: 0,
    refused: 0,
    refusedBeforeStop: 0,
    connectFailed: 0,
    acceptedAfterRefusal: 0,
    lossDetails: [],
  };
}

/** What the clients share: when to stop, when the stop began, randomness. */
export interface LoadControl {
  /** Set to true to end the client loops after their current connection. */
  done: boolean;
  /** When (performance.now()) the server was told to stop, if it was. */
  stopAt?: number;
  /** Random numbers in [0, 1). */
  random: () => number;
  /** The next request id. */
  nextId: number;
  /** Largest padding a request asks for, in bytes. */
  maxSize: number;
  /** The share of requests that ask for a large answer instead (0 to 1). */
  largeShare?: number;
  /** Largest padding of a large answer, in bytes. */
  largeSize?: number;
  /** The share of connections that read slowly (a pause before each read of at most 64 KB). */
  slowShare?: number;
  /** Most requests on one connection. */
  maxRequests: number;
  /** A pause between requests, in ms (0: none). */
  pauseMs: number;
}

/** Connects, recording a refusal; undefined when there is no connection. */
async function connect(
  port: number,
  stats: ClientStats,
  control: LoadControl,
): Promise<Deno.TcpConn | undefined> {
  const startedAt = performance.now();
  try {
    const conn = await Deno.connect({ hostname: HOST, port });
    if (
      stats.firstRefusalAt !== undefined && startedAt > stats.firstRefusalAt
    ) {
      stats.acceptedAfterRefusal++;
    }
    return conn;
  } catch (error) {
    if (error instanceof Deno.errors.ConnectionRefused) {
      stats.refused++;
      if (control.stopAt === undefined || startedAt < control.stopAt) {
        stats.refusedBeforeStop++;
      }
      stats.firstRefusalAt ??= performance.now();
    } else {
      stats.connectFailed++;
    }
    return undefined;
  }
}

/** Reads into a growing buffer; knows how many bytes came in all. */
export class Reader {
  #conn: Deno.Conn;
  #chunk = new Uint8Array(64 * 1024);
  #pauseMs: number;
  bytes = new Uint8Array(0);
  /** Bytes received for the current answer. */
  received = 0;

  constructor(conn: Deno.Conn, pauseMs = 0) {
    this.#conn = conn;
    this.#pauseMs = pauseMs;
  }

  /** Reads once more; false at EOF or on an error. */
  async more(): Promise<boolean> {
    if (this.#pauseMs) await pause(this.#pauseMs);
    let count: number | null;
    try {
      count = await this.#conn.read(this.#chunk);
    } catch {
      return false;
    }
    if (count === null) return false;
    const next = new Uint8Array(this.bytes.length + count);
    next.set(this.bytes);
    next.set(this.#chunk.subarray(0, count), this.bytes.length);
    this.bytes = next;
    this.received += count;
    return true;
  }

  /** Takes the first `size` bytes out of the buffer. */
  take(size: number): Uint8Array {
    const taken = this.bytes.slice(0, size);
    this.bytes = this.bytes.slice(size);
    return taken;
  }
}

export async function send(conn: Deno.Conn, text: string): Promise<boolean> {
  const bytes = encoder.encode(text);
  try {
    let offset = 0;
    while (offset < bytes.length) {
      offset += await conn.write(bytes.subarray(offset));
    }
    return true;
  } catch {
    return false;
  }
}

type Outcome = "complete" | "notAccepted" | "lost";

function record(
  stats: ClientStats,
  outcome: Outcome,
  detail: () => string,
): void {
  stats[outcome]++;
  if (outcome === "lost" && stats.lossDetails.length < 10) {
    stats.lossDetails.push(detail());
  }
}

/** One HTTP/1.1 keep-alive connection: a few requests, each answer read and checked in full. */
export async function httpSession(
  port: number,
  stats: ClientStats,
  control: LoadControl,
): Promise<boolean> {
  const conn = await connect(port, stats, control);
  if (!conn) return false;
  const reader = new Reader(conn, readPause(control));
  try {
    const requests = 1 + Math.floor(control.random() * control.maxRequests);
    for (let i = 0; i < requests && !control.done; i++) {
      const id = control.nextId++;
      const size = pickSize(control);
      const sent = await send(
        conn,
        `GET /?id=${id}&size=${size} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`,
      );
      reader.received = 0;
      const result = await readHttpAnswer(reader, `ok ${id}\n`, size);
      if (!sent && reader.received === 0) {
        record(stats, "notAccepted", () => "");
        break;
      }
      record(stats, result.outcome, () => `http id ${id}: ${result.detail}`);
      if (result.outcome !== "complete" || result.closing) break;
      if (control.pauseMs) await pause(control.pauseMs);
    }
  } finally {
    conn.close();
  }
  return true;
}

async function readHttpAnswer(
  reader: Reader,
  prefix: string,
  size: number,
): Promise<{ outcome: Outcome; detail: string; closing?: boolean }> {
  let headerEnd = -1;
  while ((headerEnd = indexOfCrlf2(reader.bytes)) < 0) {
    if (!await reader.more()) {
      return reader.received === 0 ? { outcome: "notAccepted", detail: "" } : {
        outcome: "lost",
        detail: `headers cut after ${reader.received} bytes`,
      };
    }
  }
  const head = decoder.decode(reader.take(headerEnd + 4));
  const status = head.match(/^HTTP\/1\.1 (\d+)/)?.[1];
  const length = Number(head.match(/\r\ncontent-length: *(\d+)/i)?.[1] ?? NaN);
  const closing = /\r\nconnection: *close/i.test(head);
  if (status !== "200" || !Number.isFinite(length)) {
    return {
      outcome: "lost",
      detail: `bad head ${JSON.stringify(head.slice(0, 200))}`,
    };
  }
  while (reader.bytes.length < length) {
    if (!await reader.more()) {
      return {
        outcome: "lost",
        detail: `body cut at ${reader.bytes.length} of ${length} bytes`,
      };
    }
  }
  const body = decoder.decode(reader.take(length));
  if (body !== prefix + "x".repeat(size) || reader.bytes.length > 0) {
    return { outcome: "lost", detail: `wrong body (${body.length} bytes)` };
  }
  return { outcome: "complete", detail: "", closing };
}

export function indexOfCrlf2(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (
      bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 &&
      bytes[i + 3] === 10
    ) return i;
  }
  return -1;
}

/** One TCP connection to the sum protocol: a few `ID A B N` lines, each answer checked in full. */
export async function tcpSession(
  port: number,
  stats: ClientStats,
  control: LoadControl,
): Promise<boolean> {
  const conn = await connect(port, stats, control);
  if (!conn) return false;
  const reader = new Reader(conn, readPause(control));
  try {
    const requests = 1 + Math.floor(control.random() * control.maxRequests);
    for (let i = 0; i < requests && !control.done; i++) {
      const id = control.nextId++;
      const a = Math.floor(control.random() * 1000);
      const b = Math.floor(control.random() * 1000);
      const size = pickSize(control);
      const sent = await send(conn, `${id} ${a} ${b} ${size}\n`);
      const expected = `${id} ${a + b} ${"x".repeat(size)}\n`;
      reader.received = 0;
      while (reader.bytes.length < expected.length && await reader.more()) {
        // Reading until the whole answer is in, or the connection ends.
      }
      if (reader.received === 0) {
        record(stats, "notAccepted", () => "");
        break;
      }
      const answer = decoder.decode(reader.take(expected.length));
      if (answer !== expected || reader.bytes.length > 0) {
        record(
          stats,
          "lost",
          () =>
            `tcp id ${id}: got ${answer.length} of ${expected.length} bytes${
              sent ? "" : " (send failed)"
            }`,
        );
        break;
      }
      record(stats, "complete", () => "");
      if (control.pauseMs) await pause(control.pauseMs);
    }
  } finally {
    conn.close();
  }
  return true;
}

/** A slow reader pauses 5 ms before each read: about 10 MB/s at most. */
export function readPause(control: LoadControl): number {
  return control.slowShare && control.random() < control.slowShare ? 5 : 0;
}

/** A padding size: mostly small, sometimes large (answers that outgrow the socket buffers). */
export function pickSize(control: LoadControl): number {
  const large = control.largeShare && control.random() < control.largeShare;
  return Math.floor(
    control.random() * (large ? control.largeSize ?? 0 : control.maxSize),
  );
}

export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs `count` clients of `session` until `control.done`; a client whose
 * connection was refused waits `retryMs` before it tries again.
 */
export function runClients(
  count: number,
  session: (
    port: number,
    stats: ClientStats,
    control: LoadControl,
  ) => Promise<boolean>,
  port: number,
  stats: ClientStats,
  control: LoadControl,
  retryMs = 50,
): Promise<void[]> {
  const client = async () => {
    while (!control.done) {
      if (!await session(port, stats, control)) await pause(retryMs);
    }
  };
  return Promise.all(Array.from({ length: count }, client));
}
