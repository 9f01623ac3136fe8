/**
 * HTTP: a `[server/NAME] handler` started by aio vs bare `Deno.serve` vs
 * Node's `http`, loaded in turn (alternating, same run) by `wrk`.
 *
 *   deno run -A bench/http_compare.ts [rounds=5] [seconds=5] [connections=50]
 */

import { compareServers, run, startServer } from "./tcp_helpers.ts";

const [rounds = "5", seconds = "5", connections = "50"] = Deno.args;
const here = new URL(".", import.meta.url).pathname;

const NODE_HTTP = `
const http = require("node:http");
const server = http.createServer((req, res) => {
  res.writeHead(200, { "content-type": "text/plain" });
  res.end("Hello, world!\\n");
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
`;

const servers = {
  aio: () => startServer("deno", ["run", "-A", `${here}http_server.ts`, "aio"]),
  bare: () =>
    startServer("deno", ["run", "-A", `${here}http_server.ts`, "bare"]),
  node: () => startServer("node", ["-e", NODE_HTTP]),
};

function requestsPerSecond(output: string): number {
  const match = /Requests\/sec:\s+([\d.]+)/.exec(output);
  if (!match) throw new Error(`No Requests/sec in wrk output:\n${output}`);
  return Number(match[1]);
}

await compareServers({
  servers,
  labels: { aio: "aio handler", bare: "bare Deno", node: "node http" },
  rounds: Number(rounds),
  seconds: Number(seconds),
  unit: "requests",
  title: `wrk -t1 -c${connections}, ${seconds}s x ${rounds} rounds`,
  load: async (server) =>
    requestsPerSecond(
      await run("wrk", [
        "-t1",
        `-c${connections}`,
        `-d${seconds}s`,
        `http://127.0.0.1:${server.port}/`,
      ]),
    ),
});
