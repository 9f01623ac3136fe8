// Processes for the signal and daemon tests: a command in its own process
// group (as a terminal runs it, so Ctrl-C can go to the whole group), and
// looking for aio processes from outside.

/** A command running in its own process group, with its output collected. */
export class GroupProcess {
  readonly child: Deno.ChildProcess;
  output = "";
  #waiters: { pattern: RegExp; resolve: () => void }[] = [];
  #done: Promise<{ code: number; signal: Deno.Signal | null }>;

  constructor(
    command: string,
    args: string[],
    options: { cwd?: string; env?: Record<string, string> } = {},
  ) {
    this.child = new Deno.Command(command, {
      args,
      cwd: options.cwd,
      env: { NO_COLOR: "1", ...options.env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      // Its own process group: the group's id is its pid.
      detached: true,
    }).spawn();
    const reading = Promise.all([
      this.#collect(this.child.stdout),
      this.#collect(this.child.stderr),
    ]);
    this.#done = Promise.all([this.child.status, reading]).then((
      [status],
    ) => ({ code: status.code, signal: status.signal }));
  }

  /** Resolves when the output matches `pattern`; rejects if the process ends first. */
  waitFor(pattern: RegExp): Promise<void> {
    if (pattern.test(this.output)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiters.push({ pattern, resolve });
      this.#done.then(({ code }) =>
        reject(
          new Error(
            `process ended (${code}) before ${pattern}:\n${this.output}`,
          ),
        )
      );
    });
  }

  /** Sends `signal` to every process of the group, as a terminal's Ctrl-C does. */
  killGroup(signal: Deno.Signal): void {
    Deno.kill(-this.child.pid, signal);
  }

  /** Resolves with the exit code (and signal) once the process has ended and its output is read. */
  done(): Promise<{ code: number; signal: Deno.Signal | null }> {
    return this.#done;
  }

  async #collect(stream: ReadableStream<Uint8Array>) {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      this.output += text;
      this.#waiters = this.#waiters.filter((waiter) => {
        if (!waiter.pattern.test(this.output)) return true;
        waiter.resolve();
        return false;
      });
    }
  }
}

/** The live (not zombie) processes whose command line contains `text`. */
export function processesWith(text: string): number[] {
  const found: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`);
      if (!cmdline.replaceAll("\0", " ").includes(text)) continue;
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const state = stat[stat.lastIndexOf(")") + 2];
      if (state !== "Z" && state !== "X") found.push(Number(entry.name));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** Whether process `pid` is alive (not a zombie). */
export function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const state = stat[stat.lastIndexOf(")") + 2];
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** Polls `check` every 50 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!await check()) {
    if (performance.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
