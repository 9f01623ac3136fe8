/**
 * A/B: this checkout's server layer against another checkout's (say,
 * main's, from `git archive main | tar -x -C /tmp/main`), with bare Deno
 * as the yardstick, in one run (rounds alternate, as in the other
 * server benches). On a loaded machine the CPU per request is the figure
 * to read.
 *
 *   deno run -A bench/server_ab.ts tcp|http OTHER_CHECKOUT [rounds=7] [seconds=4]
 */

import { compareServers, run, startServer } from "./tcp_helpers.ts";

const [kind = "tcp", other, rounds = "7", seconds = "4"] = Deno.args;
if (!other || !["tcp", "http"].includes(kind)) {
  console.error(
    "usage: deno run -A bench/server_ab.ts tcp|http OTHER_CHECKOUT [rounds] [seconds]",
  );
  Deno.exit(2);
}
const here = new URL(".", import.meta.url).pathname;
const script = kind === "tcp" ? "tcp_server.ts" : "http_server.ts";
const serve = (dir: string, mode: string) => () =>
  startServer("deno", ["run", "-A", `${dir}/${script}`, mode]);

await compareServers({
  // compareServers names its three contenders aio, bare and node.
  servers: {
    aio: serve(here, "aio"),
    bare: serve(here, "bare"),
    node: serve(`${other}/bench`, "aio"),
  },
  labels: { aio: "aio (here)", bare: "bare Deno", node: "aio (other)" },
  rounds: Number(rounds),
  seconds: Number(seconds),
  unit: kind === "tcp" ? "round trips" : "requests",
  title: `${kind}, ${seconds}s x ${rounds} rounds, other = ${other}`,
  load: async (server) => {
    if (kind === "tcp") {
      return Number(
        (await run("deno", [
          "run",
          "-A",
          `${here}tcp_load.ts`,
          String(server.port),
          "50",
          seconds,
          "64",
        ])).trim(),
      );
    }
    const output = await run("wrk", [
      "-t1",
      "-c50",
      `-d${seconds}s`,
      `http://127.0.0.1:${server.port}/`,
    ]);
    const match = /Requests\/sec:\s+([\d.]+)/.exec(output);
    if (!match) throw new Error(`No Requests/sec in wrk output:\n${output}`);
    return Number(match[1]);
  },
});
