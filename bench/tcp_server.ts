/**
 * A TCP echo server for the benches, in one of two modes:
 *
 * - `aio`: a `[server/echo] protocol = ...#Echo` section started by
 *   `startServers`, as `aio run` starts it;
 * - `bare`: `Deno.listen` with a plain read/write loop per connection.
 *
 * Prints the port on stdout when listening. Reads commands on stdin:
 * `mem` prints `rss heapUsed` (bytes, after a GC when `--v8-flags=--expose-gc`
 * is given); `stop` exits.
 *
 *   deno run -A --v8-flags=--expose-gc bench/tcp_server.ts aio|bare
 */

import { ConfigParser } from "../src/config/config_parser.ts";
import {
  resolveServers,
  startServers as startServersWith,
} from "../src/server/mod.ts";
import { Problems } from "../src/config/problems.ts";
import { ModuleLoader } from "../src/refs.ts";

/** Resolves and starts the servers of `config`, as `aio run` does. */
async function startServers(config: ConfigParser) {
  const problems = new Problems();
  const resolved = await resolveServers(config, new ModuleLoader(), problems);
  problems.throwIfAny();
  return await startServersWith(resolved, { shutdownTimeoutMs: 0 });
}

async function bareEcho(conn: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(64 * 1024);
  try {
    while (true) {
      const count = await conn.read(buffer);
      if (count === null) break;
      let offset = 0;
      while (offset < count) {
        offset += await conn.write(buffer.subarray(offset, count));
      }
    }
  } catch {
    // The client went away.
  } finally {
    try {
      conn.close();
    } catch {
      // Closed already.
    }
  }
}

function startBare(): Promise<number> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const conn of listener) bareEcho(conn);
  })();
  return Promise.resolve(listener.addr.port);
}

async function startAio(): Promise<number> {
  const config = new ConfigParser().readString(
    `[server/echo]\nprotocol = ${
      new URL("./tcp_echo_protocol.ts", import.meta.url).pathname
    }#Echo\naddress = 127.0.0.1\nport = 0\n`,
    "<bench>",
  );
  const servers = await startServers(config);
  return (servers.echo.addr as Deno.NetAddr).port;
}

async function commands(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
  let pending = "";
  for await (const chunk of lines) {
    pending += chunk;
    let end;
    while ((end = pending.indexOf("\n")) >= 0) {
      const command = pending.slice(0, end).trim();
      pending = pending.slice(end + 1);
      if (command === "stop") Deno.exit(0);
      if (command === "mem") {
        gc?.();
        const usage = Deno.memoryUsage();
        console.log(`${usage.rss} ${usage.heapUsed}`);
      }
    }
  }
  Deno.exit(0);
}

if (import.meta.main) {
  const mode = Deno.args[0];
  // No top-level await: the config's module import must not wait on this one.
  (mode === "bare" ? startBare() : startAio()).then((port) => {
    console.log(port);
    commands();
  });
}
