/**
 * HTTP: a `[server/NAME] handler` started by aio vs bare `Deno.serve` vs
 * Node's `http`, loaded in turn (alternating, same run) by `wrk`.
 *
 *   deno run -A bench/http_compare.ts [rounds=5] [seconds=5] [connections=50]
 */

import { cpuSeconds, median, run, startServer } from "./tcp_helpers.ts";

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

const results: Record<string, number[]> = { aio: [], bare: [], node: [] };
/** Server CPU microseconds per request, each round: steadier than throughput on a busy machine. */
const cpu: Record<string, number[]> = { aio: [], bare: [], node: [] };
const started = await Promise.all(
  Object.entries(servers).map(async ([name, start]) =>
    [name, await start()] as const
  ),
);
try {
  for (let round = 0; round < Number(rounds); round++) {
    const order = round % 2 ? [...started].reverse() : started;
    for (const [name, server] of order) {
      const cpuBefore = cpuSeconds(server.child.pid);
      const output = await run("wrk", [
        "-t1",
        `-c${connections}`,
        `-d${seconds}s`,
        `http://127.0.0.1:${server.port}/`,
      ]);
      const rps = requestsPerSecond(output);
      const used = cpuSeconds(server.child.pid) - cpuBefore;
      results[name].push(rps);
      cpu[name].push(used * 1e6 / (rps * Number(seconds)));
      console.log(
        `round ${round + 1} ${name}: ${rps} requests/s, ${
          cpu[name].at(-1)!.toFixed(1)
        } µs CPU each`,
      );
    }
  }
} finally {
  for (const [, server] of started) await server.stop();
}

const aio = median(results.aio);
const bare = median(results.bare);
const node = median(results.node);
console.log(
  `\nmedian requests/s (wrk -t1 -c${connections}, ${seconds}s x ${rounds} rounds)`,
);
console.log(`aio handler  : ${aio}`);
console.log(`bare Deno    : ${bare}`);
console.log(`node http    : ${node}`);
console.log(`aio / bare   : ${(aio / bare).toFixed(3)}`);
console.log(`aio / node   : ${(aio / node).toFixed(3)}`);
const [cpuAio, cpuBare, cpuNode] = ["aio", "bare", "node"].map((name) =>
  median(cpu[name])
);
console.log(
  `server CPU per request (median): aio ${cpuAio.toFixed(1)} µs, bare ${
    cpuBare.toFixed(1)
  } µs, node ${cpuNode.toFixed(1)} µs; bare / aio = ${
    (cpuBare / cpuAio).toFixed(3)
  }`,
);
