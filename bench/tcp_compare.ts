/**
 * TCP echo: a protocol class started by aio vs a bare `Deno.listen`
 * read/write loop vs Node's `net`, loaded in turn (alternating, same run)
 * by bench/tcp_load.ts.
 *
 *   deno run -A bench/tcp_compare.ts [rounds=5] [seconds=5] [connections=50] [size=64]
 */

import { cpuSeconds, median, run, startServer } from "./tcp_helpers.ts";

const [rounds = "5", seconds = "5", connections = "50", size = "64"] =
  Deno.args;
const here = new URL(".", import.meta.url).pathname;

const NODE_ECHO = `
const net = require("node:net");
const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  socket.on("data", (data) => socket.write(data));
  socket.on("error", () => {});
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
`;

const servers = {
  aio: () => startServer("deno", ["run", "-A", `${here}tcp_server.ts`, "aio"]),
  bare: () =>
    startServer("deno", ["run", "-A", `${here}tcp_server.ts`, "bare"]),
  node: () => startServer("node", ["-e", NODE_ECHO]),
};

const results: Record<string, number[]> = { aio: [], bare: [], node: [] };
/** Server CPU microseconds per round trip, each round: steadier than throughput on a busy machine. */
const cpu: Record<string, number[]> = { aio: [], bare: [], node: [] };
const started = await Promise.all(
  Object.entries(servers).map(async ([name, start]) =>
    [name, await start()] as const
  ),
);
try {
  for (let round = 0; round < Number(rounds); round++) {
    // Alternate the order each round so no server always goes first.
    const order = round % 2 ? [...started].reverse() : started;
    for (const [name, server] of order) {
      const cpuBefore = cpuSeconds(server.child.pid);
      const output = await run("deno", [
        "run",
        "-A",
        `${here}tcp_load.ts`,
        String(server.port),
        connections,
        seconds,
        size,
      ]);
      const rate = Number(output.trim());
      const used = cpuSeconds(server.child.pid) - cpuBefore;
      results[name].push(rate);
      cpu[name].push(used * 1e6 / (rate * Number(seconds)));
      console.log(
        `round ${round + 1} ${name}: ${rate} round trips/s, ${
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
  `\nmedian round trips/s (${connections} connections, ${size}-byte messages, ${seconds}s x ${rounds} rounds)`,
);
console.log(`aio protocol : ${aio}`);
console.log(`bare Deno    : ${bare}`);
console.log(`node net     : ${node}`);
console.log(`aio / bare   : ${(aio / bare).toFixed(3)}`);
console.log(`aio / node   : ${(aio / node).toFixed(3)}`);
const [cpuAio, cpuBare, cpuNode] = ["aio", "bare", "node"].map((name) =>
  median(cpu[name])
);
console.log(
  `server CPU per round trip (median): aio ${cpuAio.toFixed(1)} µs, bare ${
    cpuBare.toFixed(1)
  } µs, node ${cpuNode.toFixed(1)} µs; bare / aio = ${
    (cpuBare / cpuAio).toFixed(3)
  }`,
);
