// Running the real CLI as a subprocess, for end-to-end tests.

/** The CLI entry point. */
export const CLI = new URL("../../cli.ts", import.meta.url).pathname;

/** A new temporary directory holding `aio.conf` with `config` (and any `files`, by relative path). */
export async function tempApp(
  config: string,
  files: Record<string, string> = {},
): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "aio_e2e_" });
  await Deno.writeTextFile(`${dir}/aio.conf`, config);
  for (const [name, text] of Object.entries(files)) {
    const path = `${dir}/${name}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(path, text);
  }
  return dir;
}

/** How to run the CLI. */
export interface CliOptions {
  /** The working directory. */
  cwd?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** The module to run instead of cli.ts (a compile entry, say). */
  entry?: string;
  /** Permission flags instead of `-A`. */
  denoFlags?: string[];
  /** Run under this umask (through `sh`), such as `"000"`. */
  umask?: string;
}

/** The command that runs the CLI: deno itself, or `sh` setting the umask first. */
function cliCommand(
  args: string[],
  options: CliOptions,
): { command: string; args: string[] } {
  const deno = [
    "run",
    ...(options.denoFlags ?? ["-A"]),
    options.entry ?? CLI,
    ...args,
  ];
  if (options.umask === undefined) {
    return { command: Deno.execPath(), args: deno };
  }
  return {
    command: "sh",
    args: [
      "-c",
      `umask ${options.umask} && exec "$0" "$@"`,
      Deno.execPath(),
      ...deno,
    ],
  };
}

/** What a finished CLI run printed and returned. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `aio ARGS` to completion. */
export async function runCli(
  args: string[],
  options: CliOptions = {},
): Promise<CliResult> {
  const { command, args: commandArgs } = cliCommand(args, options);
  const { code, stdout, stderr } = await new Deno.Command(command, {
    args: commandArgs,
    cwd: options.cwd,
    env: { NO_COLOR: "1", ...options.env },
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return {
    code,
    stdout: decoder.decode(stdout),
    stderr: decoder.decode(stderr),
  };
}

/** A CLI process that keeps running, with its output collected as it comes. */
export class CliProcess {
  readonly child: Deno.ChildProcess;
  stdout = "";
  stderr = "";
  #waiters: { pattern: RegExp; resolve: () => void }[] = [];
  #done: Promise<CliResult>;

  constructor(
    args: string[],
    options: CliOptions = {},
  ) {
    const { command, args: commandArgs } = cliCommand(args, options);
    this.child = new Deno.Command(command, {
      args: commandArgs,
      cwd: options.cwd,
      env: { NO_COLOR: "1", ...options.env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const out = this.#collect(this.child.stdout, (text) => this.stdout += text);
    const err = this.#collect(this.child.stderr, (text) => this.stderr += text);
    this.#done = Promise.all([this.child.status, out, err]).then((
      [status],
    ) => ({
      code: status.code,
      stdout: this.stdout,
      stderr: this.stderr,
    }));
  }

  /**
   * Resolves when stdout or stderr matches `pattern`; rejects, with the
   * output so far, if the process ends first or `timeoutMs` passes (a
   * line that never comes fails the test instead of hanging it).
   */
  waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<void> {
    if (pattern.test(this.stdout + this.stderr)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((item) => item !== waiter);
        reject(
          new Error(
            `no ${pattern} within ${timeoutMs} ms:\n${this.stdout}${this.stderr}`,
          ),
        );
      }, timeoutMs);
      const waiter = {
        pattern,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.#waiters.push(waiter);
      this.#done.then((result) => {
        clearTimeout(timer);
        reject(
          new Error(
            `process ended (${result.code}) before ${pattern}:\n${result.stdout}${result.stderr}`,
          ),
        );
      });
    });
  }

  /** Sends a signal. */
  kill(signal: Deno.Signal = "SIGTERM"): void {
    this.child.kill(signal);
  }

  /** Resolves when the process has ended and its output is read. */
  done(): Promise<CliResult> {
    return this.#done;
  }

  async #collect(
    stream: ReadableStream<Uint8Array>,
    append: (text: string) => void,
  ) {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      append(text);
      const all = this.stdout + this.stderr;
      this.#waiters = this.#waiters.filter((waiter) => {
        if (!waiter.pattern.test(all)) return true;
        waiter.resolve();
        return false;
      });
    }
  }
}
