// Hostile clients for every server kind (tcp, unix, tls, udp, http): random
// bytes, half requests, abrupt disconnects. After each round every server
// must still answer a good request. Shared by the fast test
// (tests/stress_fast/server_fuzz_test.ts) and the stress part.
import dgram from "node:dgram";
import { Buffer } from "node:buffer";

const FIXTURES = new URL("../tests/fixtures/", import.meta.url).pathname;
const TLS_CERT = Deno.readTextFileSync(`${FIXTURES}tls/cert.pem`);
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const HOST = "127.0.0.1";

/** Where each server kind listens. */
export interface FuzzTargets {
  tcp: number;
  tls: number;
  udp: number;
  http: number;
  unix: string;
}

/** An app config with one echo server of each kind, all on 127.0.0.1. */
export function fuzzConfig(socketPath: string, logLevel = "CRITICAL"): string {
  const echo = `${FIXTURES}stress/echo.ts`;
  return `[aio]
log_level = ${logLevel}
shutdown_timeout = 1

[server/tcp]
protocol = ${echo}#Echo
address = ${HOST}
port = 0

[server/unix]
protocol = ${echo}#Echo
path = ${socketPath}

[server/tls]
protocol = ${echo}#Echo
transport = tls
cert = ${FIXTURES}tls/cert.pem
key = ${FIXTURES}tls/key.pem
address = ${HOST}
port = 0

[server/udp]
protocol = ${echo}#UdpEcho
transport = udp
address = ${HOST}
port = 0

[server/http]
handler = ${echo}#echoHttp
address = ${HOST}
port = 0
`;
}

/** The targets of a started app's servers. */
export function targetsOf(
  servers: Record<string, { addr: Deno.Addr }>,
): FuzzTargets {
  const port = (name: string) => (servers[name].addr as Deno.NetAddr).port;
  return {
    tcp: port("tcp"),
    tls: port("tls"),
    udp: port("udp"),
    http: port("http"),
    unix: (servers.unix.addr as Deno.UnixAddr).path,
  };
}

/** Counts of what the fuzzer did. */
export interface FuzzCounts {
  cases: number;
  bytesSent: number;
  goodChecks: number;
}

type Kind = "tcp" | "unix" | "tls" | "http" | "udp";
const KINDS: Kind[] = ["tcp", "unix", "tls", "http", "udp"];

function randomBytes(random: () => number, max: number): Uint8Array {
  const bytes = new Uint8Array(Math.floor(random() * max));
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

async function openStream(
  kind: Kind,
  targets: FuzzTargets,
): Promise<Deno.Conn> {
  if (kind === "unix") {
    return await Deno.connect({ transport: "unix", path: targets.unix });
  }
  if (kind === "tls") {
    return await Deno.connectTls({
      hostname: HOST,
      port: targets.tls,
      caCerts: [TLS_CERT],
    });
  }
  return await Deno.connect({
    hostname: HOST,
    port: targets[kind as "tcp" | "http"],
  });
}

/** Writes, ignoring a peer that is gone (that is the point of the exercise). */
async function writeQuietly(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  try {
    let offset = 0;
    while (offset < bytes.length) {
      offset += await conn.write(bytes.subarray(offset));
    }
  } catch {
    // The server may drop a hostile connection whenever it likes.
  }
}

/** Reads for at most `ms`, then gives up; never throws. */
async function readFor(conn: Deno.Conn, ms: number): Promise<number> {
  const buffer = new Uint8Array(64 * 1024);
  let total = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((resolve) =>
    timer = setTimeout(() => resolve(null), ms)
  );
  try {
    while (true) {
      const count = await Promise.race([
        conn.read(buffer).catch(() => null),
        timeout,
      ]);
      if (count === null) break;
      total += count;
    }
  } finally {
    clearTimeout(timer);
  }
  return total;
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

const HTTP_PREFIXES = [
  "GET / HTTP/1.1\r\n",
  "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n",
  "GET /" + "a".repeat(70_000) + " HTTP/1.1\r\n",
  "GET / HTTP/1.1\r\nHost: x\r\nX: " + "b".repeat(100_000) + "\r\n\r\n",
  "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
  "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\n",
  "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
  "\r\n\r\n\r\n",
];

/** One hostile stream connection: connect, send junk, then disconnect in some abrupt way. */
async function fuzzStream(
  kind: Kind,
  targets: FuzzTargets,
  random: () => number,
  counts: FuzzCounts,
): Promise<void> {
  // Raw bytes at the TLS port: a garbage handshake.
  const raw = kind === "tls" && random() < 0.5;
  let conn: Deno.Conn;
  try {
    conn = raw
      ? await Deno.connect({ hostname: HOST, port: targets.tls })
      : await openStream(kind, targets);
  } catch {
    return; // A handshake the server broke off: fine.
  }
  try {
    const style = Math.floor(random() * 5);
    if (style === 0) return; // connect, close at once
    let payload = randomBytes(random, style === 4 ? 200_000 : 4096);
    if (kind === "http" && random() < 0.6) {
      const prefix = encoder.encode(
        HTTP_PREFIXES[Math.floor(random() * HTTP_PREFIXES.length)],
      );
      const joined = new Uint8Array(prefix.length + payload.length);
      joined.set(prefix);
      joined.set(payload, prefix.length);
      payload = joined;
    }
    counts.bytesSent += payload.length;
    if (style === 1) {
      // Write without waiting, close mid-write.
      writeQuietly(conn, payload);
      await new Promise((resolve) => setTimeout(resolve, random() * 5));
      return;
    }
    await writeQuietly(conn, payload);
    if (style === 2) {
      await readFor(conn, 10 + random() * 40); // read a little, then vanish
    } else if (style === 3 && "closeWrite" in conn) {
      try {
        await (conn as Deno.TcpConn).closeWrite(); // half-close, read the rest
      } catch {
        // Gone already.
      }
      await readFor(conn, 200);
    }
  } finally {
    closeQuietly(conn);
  }
}

async function fuzzUdp(
  socket: dgram.Socket,
  targets: FuzzTargets,
  random: () => number,
  counts: FuzzCounts,
): Promise<void> {
  const size = random() < 0.1 ? 65_000 : Math.floor(random() * 1500);
  const bytes = randomBytes(random, size + 1);
  counts.bytesSent += bytes.length;
  await new Promise<void>((resolve) =>
    socket.send(Buffer.from(bytes), targets.udp, HOST, () => resolve())
  );
}

/** A good request to each server, answered correctly within `ms`; names the kinds that failed. */
export async function checkAll(
  targets: FuzzTargets,
  ms = 5000,
): Promise<string[]> {
  const failed: string[] = [];
  await Promise.all(KINDS.map(async (kind) => {
    try {
      const ok = await withTimeout(goodRequest(kind, targets), ms);
      if (!ok) failed.push(`${kind}: wrong answer`);
    } catch (error) {
      failed.push(`${kind}: ${error instanceof Error ? error.message : error}`);
    }
  }));
  return failed;
}

async function goodRequest(kind: Kind, targets: FuzzTargets): Promise<boolean> {
  if (kind === "http") {
    const response = await fetch(`http://${HOST}:${targets.http}/`, {
      method: "POST",
      body: "hello",
    });
    return (await response.text()) === "ok 5\n";
  }
  if (kind === "udp") return await udpRoundTrip(targets.udp);
  const conn = await openStream(kind, targets);
  try {
    await writeQuietly(conn, encoder.encode("ping\n"));
    let text = "";
    const buffer = new Uint8Array(64);
    while (text.length < 5) {
      const count = await conn.read(buffer);
      if (count === null) break;
      text += decoder.decode(buffer.subarray(0, count));
    }
    return text === "ping\n";
  } finally {
    closeQuietly(conn);
  }
}

function udpRoundTrip(port: number): Promise<boolean> {
  const socket = dgram.createSocket("udp4");
  let resend: ReturnType<typeof setInterval> | undefined;
  let giveUp: ReturnType<typeof setTimeout> | undefined;
  return new Promise<boolean>((resolve) => {
    // Datagrams may be dropped: send again until one comes back.
    resend = setInterval(() => socket.send("ping", port, HOST), 200);
    giveUp = setTimeout(() => resolve(false), 4000);
    socket.on("message", (message) => {
      if (message.toString() === "ping") resolve(true);
    });
    socket.send("ping", port, HOST);
  }).finally(() => {
    clearInterval(resend);
    clearTimeout(giveUp);
    socket.close();
  });
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) =>
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms)
  );
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs rounds of `perRound` hostile cases (spread over all kinds, up to
 * `concurrency` at a time) until `until()` says stop; after each round
 * every server must answer a good request. Returns the failures.
 */
export async function fuzzServers(
  targets: FuzzTargets,
  random: () => number,
  options: {
    until: (round: number) => boolean;
    perRound?: number;
    concurrency?: number;
  },
): Promise<{ counts: FuzzCounts; failures: string[] }> {
  const counts: FuzzCounts = { cases: 0, bytesSent: 0, goodChecks: 0 };
  const failures: string[] = [];
  const perRound = options.perRound ?? 50;
  const concurrency = options.concurrency ?? 10;
  const socket = dgram.createSocket("udp4");
  try {
    for (let round = 0; !options.until(round); round++) {
      let next = 0;
      const worker = async () => {
        while (next < perRound) {
          next++;
          const kind = KINDS[Math.floor(random() * KINDS.length)];
          counts.cases++;
          if (kind === "udp") await fuzzUdp(socket, targets, random, counts);
          else await fuzzStream(kind, targets, random, counts);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      const failed = await checkAll(targets);
      counts.goodChecks++;
      for (const failure of failed) failures.push(`round ${round}: ${failure}`);
      if (failures.length > 10) break;
    }
  } finally {
    socket.close();
  }
  return { counts, failures };
}
