/**
 * Memory held per idle connection: opens N connections to an echo server
 * (aio's protocol server, then a bare `Deno.listen` loop), pings each once,
 * and reads the server's RSS and V8 heap (after a GC) before and after.
 *
 *   deno run -A bench/idle_connections.ts [connections=10000]
 */

import { startServer } from "./tcp_helpers.ts";

const count = Number(Deno.args[0] ?? 10_000);
const here = new URL(".", import.meta.url).pathname;
const BATCH = 500;

async function memory(
  server: { ask(command: string): Promise<string> },
): Promise<{ rss: number; heap: number }> {
  const [rss, heap] = (await server.ask("mem")).split(" ").map(Number);
  return { rss, heap };
}

async function measure(mode: "aio" | "bare") {
  const server = await startServer("deno", [
    "run",
    "-A",
    "--v8-flags=--expose-gc",
    `${here}tcp_server.ts`,
    mode,
  ]);
  const conns: Deno.TcpConn[] = [];
  try {
    // Warm up both paths once so code and pools are in place before measuring.
    const warm = await Deno.connect({
      hostname: "127.0.0.1",
      port: server.port,
    });
    await ping(warm);
    warm.close();
    const before = await memory(server);
    for (let i = 0; i < count; i += BATCH) {
      const batch = await Promise.all(
        Array.from(
          { length: Math.min(BATCH, count - i) },
          () => Deno.connect({ hostname: "127.0.0.1", port: server.port }),
        ),
      );
      await Promise.all(batch.map(ping));
      conns.push(...batch);
    }
    const after = await memory(server);
    return {
      mode,
      rssPerConnection: (after.rss - before.rss) / count,
      heapPerConnection: (after.heap - before.heap) / count,
    };
  } finally {
    for (const conn of conns) conn.close();
    await server.stop();
  }
}

async function ping(conn: Deno.TcpConn): Promise<void> {
  await conn.write(new Uint8Array([1]));
  const buffer = new Uint8Array(1);
  if (await conn.read(buffer) !== 1) throw new Error("No echo");
}

for (const mode of ["aio", "bare"] as const) {
  const result = await measure(mode);
  console.log(
    `${mode.padEnd(4)}: ${count} idle connections, ${
      (result.rssPerConnection / 1024).toFixed(2)
    } KiB RSS and ${
      (result.heapPerConnection / 1024).toFixed(2)
    } KiB V8 heap per connection`,
  );
}
