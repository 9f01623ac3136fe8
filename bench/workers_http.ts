/**
 * Worker processes (issue 15): an HTTP handler that burns about 1 ms of CPU
 * per request, served by aio with `workers = 1` and `workers = 2` and by
 * `deno serve --parallel` (2 threads), and a trivial handler with 1 and 2
 * workers; each loaded by `wrk` in turn, round after round (the order
 * reversed every other round), in one run. Prints each variant's median
 * requests per second and the ratios the issue asks for.
 *
 *   deno run -A bench/workers_http.ts [rounds=3] [seconds=10] [connections=64]
 */

import { median, run } from "./tcp_helpers.ts";
import { work } from "./workers_handler.ts";

const [rounds = "3", seconds = "10", connections = "64"] = Deno.args;
const here = new URL(".", import.meta.url).pathname;
const cli = new URL("../cli.ts", import.meta.url).pathname;

/** Rounds of the hash that take about 1 ms here (median of a few tries). */
function calibrate(): number {
  let rounds = 100_000;
  for (let attempt = 0; attempt < 6; attempt++) {
    const times: number[] = [];
    for (let i = 0; i < 30; i++) {
      const start = performance.now();
      work(rounds);
      times.push(performance.now() - start);
    }
    rounds = Math.round(rounds / median(times));
  }
  return rounds;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

interface Running {
  port: number;
  stop(): Promise<void>;
}

async function waitForPort(port: number, child: Deno.ChildProcess) {
  let exited = false;
  child.status.then(() => exited = true);
  for (let i = 0; i < 300; i++) {
    if (exited) throw new Error(`the server on ${port} ended early`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/`);
      await response.body?.cancel();
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nothing answers on ${port}`);
}

function spawn(args: string[], env: Record<string, string>): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args,
    env,
    stdin: "null",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
}

async function startAio(
  workers: number,
  handler: string,
  env: Record<string, string>,
): Promise<Running> {
  const dir = await Deno.makeTempDir({ prefix: "aio_bench_workers_" });
  const port = freePort();
  await Deno.writeTextFile(
    `${dir}/aio.conf`,
    `[aio]\nlog_level = WARNING\nworkers = ${workers}\n\n[server/web]\nhandler = ${here}workers_handler.ts#${handler}\naddress = 127.0.0.1\nport = ${port}\n`,
  );
  const child = spawn(["run", "-A", cli, "-c", `${dir}/aio.conf`, "run"], env);
  await waitForPort(port, child);
  // Every worker up (the first answers before the second has bound).
  await new Promise((resolve) => setTimeout(resolve, 1500));
  return {
    port,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await Deno.remove(dir, { recursive: true });
    },
  };
}

async function startDenoServe(env: Record<string, string>): Promise<Running> {
  const port = freePort();
  const child = spawn([
    "serve",
    "--parallel",
    "-A",
    "--port",
    String(port),
    "--host",
    "127.0.0.1",
    `${here}workers_handler.ts`,
  ], { ...env, DENO_JOBS: "2" });
  await waitForPort(port, child);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  return {
    port,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

async function load(port: number): Promise<number> {
  const output = await run("wrk", [
    "-t2",
    `-c${connections}`,
    `-d${seconds}s`,
    `http://127.0.0.1:${port}/`,
  ]);
  const found = /Requests\/sec:\s+([\d.]+)/.exec(output);
  if (!found) throw new Error(`no Requests/sec in:\n${output}`);
  const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(
    output,
  );
  if (errors) console.log(`  wrk: ${errors[0]}`);
  return Number(found[1]);
}

const iterations = calibrate();
const env = { BURN_ITERATIONS: String(iterations), NO_COLOR: "1" };
console.log(
  `burn handler: ${iterations} hash rounds (about 1 ms here); wrk -t2 -c${connections} -d${seconds}s, ${rounds} rounds`,
);

const variants: Record<string, () => Promise<Running>> = {
  "burn, workers = 1": () => startAio(1, "burn", env),
  "burn, workers = 2": () => startAio(2, "burn", env),
  "burn, deno serve --parallel (2)": () =>
    startDenoServe({ ...env, BENCH_HANDLER: "burn" }),
  "hello, workers = 1": () => startAio(1, "hello", env),
  "hello, workers = 2": () => startAio(2, "hello", env),
};
const rates: Record<string, number[]> = Object.fromEntries(
  Object.keys(variants).map((name) => [name, []]),
);
for (let round = 0; round < Number(rounds); round++) {
  const names = Object.keys(variants);
  if (round % 2) names.reverse();
  for (const name of names) {
    // One server at a time: they share the machine's two cores with wrk.
    const server = await variants[name]();
    try {
      const rate = await load(server.port);
      rates[name].push(rate);
      console.log(`round ${round + 1}: ${name}: ${rate.toFixed(0)} req/s`);
    } finally {
      await server.stop();
    }
  }
}

const med = (name: string) => median(rates[name]);
console.log("\nmedians:");
for (const name of Object.keys(variants)) {
  console.log(`  ${name}: ${med(name).toFixed(0)} req/s`);
}
const ratio = (a: string, b: string) => (med(a) / med(b)).toFixed(2);
console.log(
  `burn: workers = 2 / workers = 1: ${
    ratio("burn, workers = 2", "burn, workers = 1")
  }x (target >= 1.6x)`,
);
console.log(
  `burn: workers = 2 / deno serve --parallel: ${
    ratio("burn, workers = 2", "burn, deno serve --parallel (2)")
  }x (target >= 0.95x)`,
);
console.log(
  `hello: workers = 2 / workers = 1: ${
    ratio("hello, workers = 2", "hello, workers = 1")
  }x (target >= 0.95x)`,
);
