/**
 * Helpers for the server benches: start a server process that prints its
 * port, run a command and read its output, and summarise rounds.
 */

/** A server process started for a bench. */
export interface BenchServer {
  port: number;
  child: Deno.ChildProcess;
  /** Sends a stdin command and reads one output line (for `mem`). */
  ask(command: string): Promise<string>;
  stop(): Promise<void>;
}

/** Starts `cmd args...`, waits for the port line on stdout. */
export async function startServer(
  cmd: string,
  args: string[],
): Promise<BenchServer> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const writer = child.stdin.getWriter();
  let pending = "";
  async function line(): Promise<string> {
    while (!pending.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`${cmd} ${args.join(" ")} ended early`);
      pending += value;
    }
    const end = pending.indexOf("\n");
    const text = pending.slice(0, end);
    pending = pending.slice(end + 1);
    return text.trim();
  }
  const port = Number(await line());
  return {
    port,
    child,
    async ask(command) {
      await writer.write(new TextEncoder().encode(`${command}\n`));
      return await line();
    },
    async stop() {
      // Only the child this helper spawned, by its own handle.
      try {
        child.kill("SIGTERM");
      } catch {
        // Gone already.
      }
      await child.status;
      await reader.cancel().catch(() => {});
      await writer.close().catch(() => {});
    },
  };
}

/** Runs a command to completion and returns its stdout. */
export async function run(cmd: string, args: string[]): Promise<string> {
  const { stdout, success, stderr } = await new Deno.Command(cmd, { args })
    .output();
  if (!success) {
    throw new Error(`${cmd} failed: ${new TextDecoder().decode(stderr)}`);
  }
  return new TextDecoder().decode(stdout);
}

/** The median of some numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2
    ? sorted[middle]
    : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
export function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  // Fields after the command name (which may hold spaces) start at index 2.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100;
}

/**
 * Loads each server in turn, `rounds` times, reversing the order every other
 * round so no server always goes first, and prints the medians: the rate
 * `load` reports and the server's CPU time per unit of work (steadier than
 * throughput on a busy machine). `labels` names each server in the report.
 */
export async function compareServers(options: {
  servers: Record<string, () => Promise<BenchServer>>;
  labels: Record<string, string>;
  rounds: number;
  seconds: number;
  unit: string;
  title: string;
  load: (server: BenchServer) => Promise<number>;
}): Promise<void> {
  const names = Object.keys(options.servers);
  const rates: Record<string, number[]> = Object.fromEntries(
    names.map((n) => [n, []]),
  );
  const cpu: Record<string, number[]> = Object.fromEntries(
    names.map((n) => [n, []]),
  );
  const started = await Promise.all(
    Object.entries(options.servers).map(async ([name, start]) =>
      [name, await start()] as const
    ),
  );
  try {
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 ? [...started].reverse() : started;
      for (const [name, server] of order) {
        const cpuBefore = cpuSeconds(server.child.pid);
        const rate = await options.load(server);
        const used = cpuSeconds(server.child.pid) - cpuBefore;
        rates[name].push(rate);
        cpu[name].push(used * 1e6 / (rate * options.seconds));
        console.log(
          `round ${round + 1} ${name}: ${rate} ${options.unit}/s, ${
            cpu[name].at(-1)!.toFixed(1)
          } µs CPU each`,
        );
      }
    }
  } finally {
    for (const [, server] of started) await server.stop();
  }
  const rate = (name: string) => median(rates[name]);
  const cpuOf = (name: string) => median(cpu[name]);
  console.log(`\nmedian ${options.unit}/s (${options.title})`);
  for (const name of names) {
    console.log(`${options.labels[name].padEnd(13)}: ${rate(name)}`);
  }
  console.log(`aio / bare   : ${(rate("aio") / rate("bare")).toFixed(3)}`);
  console.log(`aio / node   : ${(rate("aio") / rate("node")).toFixed(3)}`);
  console.log(
    `server CPU per ${options.unit.replace(/s$/, "")} (median): ${
      names.map((name) => `${name} ${cpuOf(name).toFixed(1)} µs`).join(", ")
    }; bare / aio = ${(cpuOf("bare") / cpuOf("aio")).toFixed(3)}`,
  );
}
