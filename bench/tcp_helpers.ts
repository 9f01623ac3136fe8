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
