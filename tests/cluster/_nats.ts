// A real nats-server for the cluster tests and bench: a free port on
// 127.0.0.1, JetStream in a temp dir, bounded waits, killed on exit.

const READY = "Server is ready";
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const running = new Set<Deno.ChildProcess>();

// A test that fails midway must not leave a server behind.
globalThis.addEventListener("unload", () => {
  for (const child of running) {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }
});

/** Options for {@linkcode startNats}. */
export interface NatsOptions {
  /** Extra nats-server arguments (TLS, auth). */
  args?: string[];
  /** The port; a free one by default. */
  port?: number;
  /** Whether JetStream is on (`-js`); default true. */
  jetstream?: boolean;
}

/** A running nats-server. */
export interface NatsServer {
  /** `nats://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  /** Whether the process is up. */
  readonly running: boolean;
  /** Stops it (SIGTERM, then SIGKILL after 5 s); the store stays. */
  stop(): Promise<void>;
  /** Kills it at once (SIGKILL). */
  kill(): Promise<void>;
  /** Starts it again on the same port with the same store. */
  start(): Promise<void>;
  /** Stops it and removes its store. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts `nats-server -js` on a free port. Fails with install instructions
 * when nats-server is missing: the cluster tests never skip themselves.
 */
export async function startNats(
  options: NatsOptions = {},
): Promise<NatsServer> {
  await requireNatsServer();
  const storeDir = await Deno.makeTempDir({ prefix: "aio_nats_" });
  let child: Deno.ChildProcess | undefined;
  let port = 0;

  async function spawn(): Promise<void> {
    const args = [
      "-a",
      "127.0.0.1",
      "-p",
      String(port),
      ...(options.jetstream === false ? [] : ["-js", "-sd", storeDir]),
      ...(options.args ?? []),
    ];
    const process = new Deno.Command("nats-server", {
      args,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    running.add(process);
    child = process;
    const log = await waitForReady(process);
    if (log !== undefined) {
      await stopProcess(process);
      throw new Error(`nats-server did not start on port ${port}:\n${log}`);
    }
  }

  // The free port may be taken between the check and the bind: try a few.
  for (let attempt = 1;; attempt++) {
    port = options.port ?? freePort();
    try {
      await spawn();
      break;
    } catch (error) {
      if (attempt === 3 || options.port !== undefined) throw error;
    }
  }

  const server: NatsServer = {
    url: `nats://127.0.0.1:${port}`,
    port,
    get running() {
      return child !== undefined;
    },
    async stop() {
      if (child === undefined) return;
      const process = child;
      child = undefined;
      await stopProcess(process);
    },
    async kill() {
      if (child === undefined) return;
      const process = child;
      child = undefined;
      process.kill("SIGKILL");
      await process.status;
      running.delete(process);
    },
    async start() {
      if (child !== undefined) return;
      await spawn();
    },
    async [Symbol.asyncDispose]() {
      await server.stop();
      await Deno.remove(storeDir, { recursive: true }).catch(() => {});
    },
  };
  return server;
}

let checked: Promise<void> | undefined;

/** Rejects with install instructions when nats-server is not on PATH. */
export function requireNatsServer(): Promise<void> {
  return checked ??= (async () => {
    try {
      await new Deno.Command("nats-server", {
        args: ["--version"],
        stdout: "null",
        stderr: "null",
      }).output();
    } catch (error) {
      throw new Error(
        "nats-server is not installed, and the cluster tests need a real one: " +
          "install it with `sudo apt-get install -y nats-server` (Debian/Ubuntu; " +
          "`.ci/run` does this) or from https://github.com/nats-io/nats-server/releases",
        { cause: error },
      );
    }
  })();
}

/**
 * Reads the server's log until it says it is ready (`undefined`) or it
 * exits or 10 s pass (the log so far). Keeps draining the log afterwards,
 * so the server never blocks on a full pipe.
 */
async function waitForReady(
  process: Deno.ChildProcess,
): Promise<string | undefined> {
  const reader = process.stderr.pipeThrough(new TextDecoderStream())
    .getReader();
  let log = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), START_TIMEOUT_MS);
  });
  try {
    while (!log.includes(READY)) {
      const next = await Promise.race([reader.read(), timeout]);
      if (next === "timeout") {
        return `${log}(no "${READY}" within ${START_TIMEOUT_MS} ms)`;
      }
      if (next.done) return log || "(exited without a word)";
      log += next.value;
    }
  } finally {
    clearTimeout(timer);
  }
  (async () => {
    try {
      while (!(await reader.read()).done) {
        // Drained.
      }
    } catch {
      // The process ended.
    }
  })();
  return undefined;
}

async function stopProcess(process: Deno.ChildProcess): Promise<void> {
  try {
    process.kill("SIGTERM");
  } catch {
    // Already exited.
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const exited = await Promise.race([
    process.status.then(() => true),
    new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), STOP_TIMEOUT_MS);
    }),
  ]);
  clearTimeout(timer);
  if (!exited) {
    process.kill("SIGKILL");
    await process.status;
  }
  running.delete(process);
}

/** A port nothing listens on now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}
