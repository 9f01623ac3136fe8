// Socket helpers shared by the server tests.
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The port of a network address. */
export function portOf(addr: Deno.Addr): number {
  if (!("port" in addr)) {
    throw new Error(`Not a network address: ${addr.transport}`);
  }
  return addr.port;
}

/** Writes all of `data`. */
export async function writeAll(
  conn: Deno.Conn,
  data: Uint8Array | string,
): Promise<void> {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  let offset = 0;
  while (offset < bytes.length) {
    offset += await conn.write(bytes.subarray(offset));
  }
}

/** Reads until `size` bytes arrived (or EOF); returns what arrived. */
export async function readBytes(
  conn: Deno.Conn,
  size: number,
): Promise<Uint8Array> {
  const result = new Uint8Array(size);
  let offset = 0;
  while (offset < size) {
    const count = await conn.read(result.subarray(offset));
    if (count === null) break;
    offset += count;
  }
  return result.subarray(0, offset);
}

/** Reads everything until the peer closes. */
export async function readAll(conn: Deno.Conn): Promise<string> {
  const chunks: string[] = [];
  const buffer = new Uint8Array(16 * 1024);
  while (true) {
    const count = await conn.read(buffer);
    if (count === null) break;
    chunks.push(decoder.decode(buffer.subarray(0, count), { stream: true }));
  }
  return chunks.join("") + decoder.decode();
}

/** Reads until a newline; returns the text with the newline. */
export async function readLine(conn: Deno.Conn): Promise<string> {
  let text = "";
  const buffer = new Uint8Array(256);
  while (!text.includes("\n")) {
    const count = await conn.read(buffer);
    if (count === null) break;
    text += decoder.decode(buffer.subarray(0, count));
  }
  return text;
}

/** Sends `text` over a new TCP connection and returns the reply (until `size` bytes). */
export async function roundTrip(port: number, text: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await writeAll(conn, text);
    return decoder.decode(await readBytes(conn, encoder.encode(text).length));
  } finally {
    conn.close();
  }
}

/** Whether a TCP connection to `port` is refused. */
export async function isRefused(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return false;
  } catch (error) {
    return error instanceof Deno.errors.ConnectionRefused;
  }
}

/** Resolves when `check()` is true, polling each macrotask; rejects after `ms`. */
export async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("Condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The test certificate and key (PEM) from tests/fixtures/tls. */
export const TLS = {
  cert: Deno.readTextFileSync(
    new URL("../fixtures/tls/cert.pem", import.meta.url),
  ),
  key: Deno.readTextFileSync(
    new URL("../fixtures/tls/key.pem", import.meta.url),
  ),
  certPath: new URL("../fixtures/tls/cert.pem", import.meta.url).pathname,
  keyPath: new URL("../fixtures/tls/key.pem", import.meta.url).pathname,
};

/** The absolute path of a fixture module in tests/fixtures/servers. */
export function fixture(name: string): string {
  return new URL(`../fixtures/servers/${name}`, import.meta.url).pathname;
}
