// Load clients for the reload stress part: like _clients.ts, every answer
// is read whole and checked, and each also says which version of the code
// gave it (`vN`), so the part can tell that answers switch to the new code,
// that an open TCP connection stays on the code it started on, and that no
// request was answered by code older than a reload that had finished.
import {
  type ClientStats,
  indexOfCrlf2,
  type LoadControl,
  pickSize,
  Reader,
  readPause,
  send,
} from "./_clients.ts";

const decoder = new TextDecoder();
const HOST = "127.0.0.1";

/** What the version checks found, beside {@linkcode ClientStats}. */
export interface VersionStats {
  /** The highest version seen in an answer. */
  highest: number;
  /** Answers from code older than a reload that had finished before the request (HTTP) or connection (TCP) began. */
  stale: number;
  /** TCP connections whose answers came from more than one version. */
  mixedConnections: number;
  /** HTTP connections whose answers went back to an older version. */
  backwards: number;
  /** The first few version problems, described. */
  details: string[];
}

/** Makes empty version counters. */
export function newVersionStats(): VersionStats {
  return {
    highest: 0,
    stale: 0,
    mixedConnections: 0,
    backwards: 0,
    details: [],
  };
}

/** What the clients share beyond {@linkcode LoadControl}: the version the driver saw finish last. */
export interface ReloadControl extends LoadControl {
  /** The version of the last reload that had finished (its `RELOADED` line seen). */
  reloaded: number;
}

function note(versions: VersionStats, detail: string): void {
  if (versions.details.length < 10) versions.details.push(detail);
}

async function connect(
  port: number,
  stats: ClientStats,
): Promise<Deno.TcpConn | undefined> {
  try {
    return await Deno.connect({ hostname: HOST, port });
  } catch (error) {
    if (error instanceof Deno.errors.ConnectionRefused) {
      stats.refused++;
      stats.refusedBeforeStop++;
    } else {
      stats.connectFailed++;
    }
    return undefined;
  }
}

function lost(stats: ClientStats, detail: string): void {
  stats.lost++;
  if (stats.lossDetails.length < 10) stats.lossDetails.push(detail);
}

/** An HTTP/1.1 keep-alive connection: a few requests, each answer checked whole, with its version. */
export function httpSession(versions: VersionStats) {
  return async (
    port: number,
    stats: ClientStats,
    control: LoadControl,
  ): Promise<boolean> => {
    const reload = control as ReloadControl;
    const conn = await connect(port, stats);
    if (!conn) return false;
    const reader = new Reader(conn, readPause(control));
    let last = 0;
    try {
      const requests = 1 + Math.floor(control.random() * control.maxRequests);
      for (let i = 0; i < requests && !control.done; i++) {
        const id = control.nextId++;
        const size = pickSize(control);
        const floor = reload.reloaded;
        const sent = await send(
          conn,
          `GET /?id=${id}&size=${size} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`,
        );
        reader.received = 0;
        const answer = await readHttpAnswer(reader, id, size);
        if (
          answer.outcome === "notAccepted" || (!sent && reader.received === 0)
        ) {
          stats.notAccepted++;
          break;
        }
        if (answer.outcome === "lost") {
          lost(stats, `http id ${id}: ${answer.detail}`);
          break;
        }
        stats.complete++;
        const version = answer.version!;
        versions.highest = Math.max(versions.highest, version);
        if (version < floor) {
          versions.stale++;
          note(
            versions,
            `http id ${id}: v${version} after reload ${floor} had finished`,
          );
        }
        if (version < last) {
          versions.backwards++;
          note(
            versions,
            `http id ${id}: v${version} after v${last} on one connection`,
          );
        }
        last = version;
        if (answer.closing) break;
      }
    } finally {
      conn.close();
    }
    return true;
  };
}

async function readHttpAnswer(
  reader: Reader,
  id: number,
  size: number,
): Promise<
  {
    outcome: "complete" | "lost" | "notAccepted";
    detail?: string;
    version?: number;
    closing?: boolean;
  }
> {
  let headerEnd = -1;
  while ((headerEnd = indexOfCrlf2(reader.bytes)) < 0) {
    if (!await reader.more()) {
      return reader.received === 0 ? { outcome: "notAccepted" } : {
        outcome: "lost",
        detail: `headers cut after ${reader.received} bytes`,
      };
    }
  }
  const head = decoder.decode(reader.take(headerEnd + 4));
  const status = head.match(/^HTTP\/1\.1 (\d+)/)?.[1];
  const length = Number(head.match(/\r\ncontent-length: *(\d+)/i)?.[1] ?? NaN);
  if (status !== "200" || !Number.isFinite(length)) {
    return {
      outcome: "lost",
      detail: `bad head ${JSON.stringify(head.slice(0, 120))}`,
    };
  }
  while (reader.bytes.length < length) {
    if (!await reader.more()) {
      return {
        outcome: "lost",
        detail: `body cut at ${reader.bytes.length} of ${length}`,
      };
    }
  }
  const body = decoder.decode(reader.take(length));
  const match = /^ok (\d+) v(\d+)\n(x*)$/.exec(body);
  if (
    !match || Number(match[1]) !== id || match[3].length !== size ||
    reader.bytes.length > 0
  ) {
    return {
      outcome: "lost",
      detail: `wrong body (${body.length} bytes: ${
        JSON.stringify(body.slice(0, 40))
      })`,
    };
  }
  return {
    outcome: "complete",
    version: Number(match[2]),
    closing: /\r\nconnection: *close/i.test(head),
  };
}

/** A TCP connection to the sum protocol: lines `ID A B N`, answers `ID A+B vK xxx...`, all from one version. */
export function tcpSession(versions: VersionStats) {
  return async (
    port: number,
    stats: ClientStats,
    control: LoadControl,
  ): Promise<boolean> => {
    const reload = control as ReloadControl;
    const floor = reload.reloaded;
    const conn = await connect(port, stats);
    if (!conn) return false;
    const reader = new Reader(conn, readPause(control));
    let first: number | undefined;
    try {
      const requests = 1 + Math.floor(control.random() * control.maxRequests);
      for (let i = 0; i < requests && !control.done; i++) {
        const id = control.nextId++;
        const a = Math.floor(control.random() * 1000);
        const b = Math.floor(control.random() * 1000);
        const size = pickSize(control);
        const sent = await send(conn, `${id} ${a} ${b} ${size}\n`);
        reader.received = 0;
        let newline = -1;
        while (
          (newline = reader.bytes.indexOf(10)) < 0 && await reader.more()
        ) {
          // Until the whole line is in, or the connection ends.
        }
        if (reader.received === 0) {
          stats.notAccepted++;
          break;
        }
        if (newline < 0) {
          lost(
            stats,
            `tcp id ${id}: cut after ${reader.received} bytes${
              sent ? "" : " (send failed)"
            }`,
          );
          break;
        }
        const line = decoder.decode(reader.take(newline + 1)).slice(0, -1);
        const match = /^(\d+) (\d+) v(\d+) (x*)$/.exec(line);
        if (
          !match || Number(match[1]) !== id || Number(match[2]) !== a + b ||
          match[4].length !== size || reader.bytes.length > 0
        ) {
          lost(stats, `tcp id ${id}: wrong answer (${line.length} bytes)`);
          break;
        }
        stats.complete++;
        const version = Number(match[3]);
        versions.highest = Math.max(versions.highest, version);
        first ??= version;
        if (version !== first) {
          versions.mixedConnections++;
          note(
            versions,
            `tcp id ${id}: v${version} on a connection that began on v${first}`,
          );
        }
        if (version < floor) {
          versions.stale++;
          note(
            versions,
            `tcp id ${id}: v${version} on a connection opened after reload ${floor} had finished`,
          );
        }
      }
    } finally {
      conn.close();
    }
    return true;
  };
}
