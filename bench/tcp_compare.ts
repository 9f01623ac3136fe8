/**
 * TCP echo: a protocol class started by aio vs a bare `Deno.listen`
 * read/write loop vs Node's `net`, loaded in turn (alternating, same run)
 * by bench/tcp_load.ts.
 *
 *   deno run -A bench/tcp_compare.ts [rounds=5] [seconds=5] [connections=50] [size=64]
 */

import { compareServers, run, startServer } from "./tcp_helpers.ts";

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

await compareServers({
  servers,
  labels: { aio: "aio protocol", bare: "bare Deno", node: "node net" },
  rounds: Number(rounds),
  seconds: Number(seconds),
  unit: "round trips",
  title:
    `${connections} connections, ${size}-byte messages, ${seconds}s x ${rounds} rounds`,
  load: async (server) =>
    Number(
      (await run("deno", [
        "run",
        "-A",
        `${here}tcp_load.ts`,
        String(server.port),
        connections,
        seconds,
        size,
      ])).trim(),
    ),
});
