/**
 * `[aio/health]` on vs off: the same app run by `aio run` twice, once with
 * the health server and metrics (every request and connection counted,
 * /metrics scraped every second while the load runs) and once without,
 * loaded in turn, alternating which goes first each round (same run).
 * Prints each round, the medians, and the median of the per-round on/off
 * ratios (a round's pair ran back to back, so it shares the machine's load).
 *
 *   deno run -A bench/health_overhead.ts http|tcp [rounds=9] [seconds=4]
 *
 * `--same` runs both sides without `[aio/health]` (an A/A run: the noise
 * floor of the machine); `--no-scrape` leaves /metrics unscraped.
 */

import { cpuSeconds, median, run, startServer } from "./tcp_helpers.ts";

const flags = new Set(Deno.args.filter((arg) => arg.startsWith("--")));
const [kind = "http", rounds = "9", seconds = "4"] = Deno.args.filter((arg) =>
  !arg.startsWith("--")
);
const same = flags.has("--same");
if (!["http", "tcp"].includes(kind)) {
  console.error(
    "usage: deno run -A bench/health_overhead.ts http|tcp [rounds] [seconds]",
  );
  Deno.exit(2);
}
const here = new URL(".", import.meta.url).pathname;
const cli = new URL("../cli.ts", import.meta.url).pathname;

// Once aio-started has run, the app prints its server's port and writes
// its health server's (if any) to health.port.
const APP = `
type App = {
  servers: Record<string, { addr: Deno.NetAddr }>;
  health?: { addr: Deno.NetAddr };
};
export function printPort(_signal: string, app: App) {
  if (app.health) {
    Deno.writeTextFileSync(new URL("./health.port", import.meta.url), String(app.health.addr.port));
  }
  console.log(app.servers.bench.addr.port);
}
`;

function config(health: boolean): string {
  const server = kind === "http"
    ? `handler = ${here}http_handler.ts#hello`
    : `protocol = ${here}tcp_echo_protocol.ts#Echo`;
  return `[aio]
log_level = WARNING

${health ? "[aio/health]\nport = 0\n" : ""}
[listen/port]
aio-started = ./app.ts#printPort

[server/bench]
${server}
address = 127.0.0.1
port = 0
`;
}

const dir = await Deno.makeTempDir({ prefix: "aio_health_bench_" });
await Deno.writeTextFile(`${dir}/app.ts`, APP);
await Deno.writeTextFile(`${dir}/on.conf`, config(!same));
await Deno.writeTextFile(`${dir}/off.conf`, config(false));

const start = (file: string) => () =>
  startServer("deno", ["run", "-A", cli, "-c", `${dir}/${file}`, "run"]);

async function load(port: number): Promise<number> {
  if (kind === "tcp") {
    return Number(
      (await run("deno", [
        "run",
        "-A",
        `${here}tcp_load.ts`,
        String(port),
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
    `http://127.0.0.1:${port}/`,
  ]);
  const match = /Requests\/sec:\s+([\d.]+)/.exec(output);
  if (!match) throw new Error(`No Requests/sec in wrk output:\n${output}`);
  return Number(match[1]);
}

const servers = {
  on: await start("on.conf")(),
  off: await start("off.conf")(),
};
const metricsUrl = same
  ? "http://127.0.0.1:1/"
  : `http://127.0.0.1:${await Deno.readTextFile(
    `${dir}/health.port`,
  )}/metrics`;
const rates: Record<string, number[]> = { on: [], off: [] };
const cpu: Record<string, number[]> = { on: [], off: [] };
const unit = kind === "tcp" ? "round trips" : "requests";
try {
  for (let round = 0; round < Number(rounds); round++) {
    const order = round % 2 ? ["off", "on"] as const : ["on", "off"] as const;
    for (const name of order) {
      const server = servers[name];
      // Prometheus scrapes while the load runs (every second; 15 s is usual).
      const scraper = name === "on" && !same && !flags.has("--no-scrape")
        ? setInterval(
          () => fetch(metricsUrl).then((r) => r.text()).catch(() => {}),
          1000,
        )
        : undefined;
      const cpuBefore = cpuSeconds(server.child.pid);
      const rate = await load(server.port);
      const used = cpuSeconds(server.child.pid) - cpuBefore;
      clearInterval(scraper);
      rates[name].push(rate);
      cpu[name].push(used * 1e6 / (rate * Number(seconds)));
      console.log(
        `round ${round + 1} ${name.padEnd(3)}: ${rate.toFixed(0)} ${unit}/s, ${
          cpu[name].at(-1)!.toFixed(2)
        } µs CPU each`,
      );
    }
  }
} finally {
  await servers.on.stop();
  await servers.off.stop();
  await Deno.remove(dir, { recursive: true });
}
const scraped = await fetch(metricsUrl).then(() => true, () => false);
if (scraped) console.error("the health server still answers after the stop");
const pairs = rates.on.map((rate, i) => rate / rates.off[i]);
const cpuPairs = cpu.off.map((value, i) => value / cpu.on[i]);
console.log(
  `\n${kind}, ${seconds}s x ${rounds} rounds (${
    kind === "tcp"
      ? "50 connections, 64-byte ping-pong"
      : "wrk -t1 -c50, 14-byte body"
  })`,
);
console.log(
  `median ${unit}/s: health on ${median(rates.on).toFixed(0)}, off ${
    median(rates.off).toFixed(0)
  }; on / off ${(median(rates.on) / median(rates.off)).toFixed(3)}`,
);
console.log(
  `median of the rounds' on / off: ${median(pairs).toFixed(3)} (${
    pairs.map((p) => p.toFixed(3)).join(" ")
  })`,
);
console.log(
  `server CPU per ${unit.replace(/s$/, "")} (median): on ${
    median(cpu.on).toFixed(2)
  } µs, off ${median(cpu.off).toFixed(2)} µs; off / on ${
    (median(cpu.off) / median(cpu.on)).toFixed(3)
  } (rounds' median ${median(cpuPairs).toFixed(3)})`,
);
