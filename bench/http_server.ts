/**
 * An HTTP server for bench/http_compare.ts, in one of two modes:
 *
 * - `aio`: a `[server/hello] handler = ...#hello` section started by
 *   `startServers`, as `aio run` starts it;
 * - `bare`: `Deno.serve` with the same handler.
 *
 * Prints the port on stdout when listening; exits on `stop` or end of stdin.
 *
 *   deno run -A bench/http_server.ts aio|bare
 */

import { ConfigParser } from "../src/config/config_parser.ts";
import {
  resolveServers,
  startServers as startServersWith,
} from "../src/server/mod.ts";
import { Problems } from "../src/config/problems.ts";
import { hello } from "./http_handler.ts";
import { ModuleLoader } from "../src/refs.ts";

/** Resolves and starts the servers of `config`, as `aio run` does. */
async function startServers(config: ConfigParser) {
  const problems = new Problems();
  const resolved = await resolveServers(config, new ModuleLoader(), problems);
  problems.throwIfAny();
  return await startServersWith(resolved, { shutdownTimeoutMs: 0 });
}

async function startAio(): Promise<number> {
  const handler = new URL("./http_handler.ts", import.meta.url).pathname;
  const config = new ConfigParser().readString(
    `[server/hello]\nhandler = ${handler}#hello\naddress = 127.0.0.1\nport = 0\n`,
    "<bench>",
  );
  const servers = await startServers(config);
  return (servers.hello.addr as Deno.NetAddr).port;
}

function startBare(): Promise<number> {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    hello,
  );
  return Promise.resolve(server.addr.port);
}

async function waitForStop(): Promise<void> {
  for await (const chunk of Deno.stdin.readable) {
    if (new TextDecoder().decode(chunk).includes("stop")) break;
  }
  Deno.exit(0);
}

if (import.meta.main) {
  // No top-level await: the config's module import must not wait on this one.
  (Deno.args[0] === "bare" ? startBare() : startAio()).then((port) => {
    console.log(port);
    waitForStop();
  });
}
