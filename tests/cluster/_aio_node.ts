// Real `aio run` processes as the nodes of a cluster, for the end-to-end
// tests and the stress part: each runs tests/fixtures/cluster/node.ts (its
// listeners and schedule print HEARD and RUN lines, its control server
// emits on request), and this side reads those lines as they come.

import { CLI } from "../e2e/_cli.ts";

/** The node module every node's config loads. */
export const NODE_MODULE =
  new URL("../fixtures/cluster/node.ts", import.meta.url)
    .pathname;

/** What {@linkcode clusterConfig} writes. */
export interface ClusterConfigOptions {
  /** `[aio/cluster] url`; `${env:NATS_URL}` by default, so each node can have its own. */
  url?: string;
  /** `[aio/cluster] connect`. */
  connect?: "required" | "background";
  /** `every` of a `cluster = once` schedule; none by default. */
  onceEvery?: number;
  /** `every` of a `cluster = each` schedule (a local part); none by default. */
  eachEvery?: number;
  /** `[aio] shutdown_timeout`. */
  shutdownTimeout?: number;
  /** More config text. */
  extra?: string;
}

/**
 * A node's config: `[aio/cluster]` named `test` with cluster signals
 * `order-*`, listeners on `order-created` and `local-note` (not a cluster
 * signal), a control server on a free port, and the schedules asked for.
 */
export function clusterConfig(options: ClusterConfigOptions = {}): string {
  const once = options.onceEvery === undefined ? "" : `
[schedule/tick]
func = ${NODE_MODULE}#tick
every = ${options.onceEvery}
cluster = once
`;
  const each = options.eachEvery === undefined ? "" : `
[schedule/local]
func = ${NODE_MODULE}#tick
every = ${options.eachEvery}
`;
  return `[aio]
shutdown_timeout = ${options.shutdownTimeout ?? 5}

[aio/cluster]
url = ${options.url ?? "${env:NATS_URL}"}
name = test
signals = order-*
connect = ${options.connect ?? "required"}

[listen/heard]
order-created = ${NODE_MODULE}#heard
local-note = ${NODE_MODULE}#heard
aio-started = ${NODE_MODULE}#ready

[server/ctl]
handler = ${NODE_MODULE}#control
address = 127.0.0.1
port = 0
${once}${each}${options.extra ?? ""}`;
}

/** How to start a node. */
export interface NodeOptions {
  /** The node's name (NODE). */
  name: string;
  /** The config file. */
  config: string;
  /** NATS_URL for `${env:NATS_URL}`. */
  natsUrl?: string;
  /** More environment. */
  env?: Record<string, string>;
}

/** A running `aio run` node, its output parsed as it comes. */
export class AioNode {
  readonly name: string;
  readonly child: Deno.ChildProcess;
  /** Messages heard, by signal, in order. */
  readonly heard = new Map<string, unknown[]>();
  /** The slots the `cluster = once` schedule (`tick`) ran here (epoch ms), in order. */
  readonly runs: number[] = [];
  /** How many runs the `cluster = each` schedule (`local`) made here. */
  localRuns = 0;
  /** Whether aio-started was seen. */
  started = false;
  /** stderr so far (aio's log). */
  stderr = "";
  /** The control server's port, once it listens. */
  port = 0;
  readonly #done: Promise<Deno.CommandStatus>;
  #waiters = new Set<() => void>();

  constructor(options: NodeOptions) {
    this.name = options.name;
    this.child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CLI, "-c", options.config, "run"],
      env: {
        NO_COLOR: "1",
        NODE: options.name,
        ...(options.natsUrl && { NATS_URL: options.natsUrl }),
        ...options.env,
      },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reading = Promise.all([
      this.#read(this.child.stdout, (line) => this.#onLine(line)),
      this.#read(this.child.stderr, (line) => {
        this.stderr += line + "\n";
        const port = / Server ctl listening on [^ ]*:(\d+)/.exec(line);
        if (port) this.port = Number(port[1]);
      }),
    ]);
    this.#done = Promise.all([this.child.status, reading]).then(([s]) => s);
  }

  /** The messages of `signal` heard so far. */
  messages(signal: string): unknown[] {
    return this.heard.get(signal) ?? [];
  }

  /** Resolves once `check()` holds; rejects naming `what` after `timeoutMs` or when the node exits. */
  until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(
          new Error(
            `node ${this.name}: no ${what} within ${timeoutMs} ms\n${this.stderr}`,
          ),
        );
      }, timeoutMs);
      const waiter = () => {
        if (!check()) return;
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        resolve();
      };
      this.#waiters.add(waiter);
      this.#done.then(() => {
        if (!this.#waiters.has(waiter)) return;
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        reject(
          new Error(
            `node ${this.name} exited before ${what}:\n${this.stderr}`,
          ),
        );
      });
    });
  }

  /**
   * Resolves once stderr (aio's log) matches `pattern`: a line is waited
   * for, never looked for at a moment (it may not be read yet).
   */
  waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<void> {
    return this.until(
      `a line matching ${pattern}`,
      () => pattern.test(this.stderr),
      timeoutMs,
    );
  }

  /** Resolves once aio-started was seen and the control server listens. */
  ready(timeoutMs = 20_000): Promise<void> {
    return this.until(
      "aio-started",
      () => this.started && this.port > 0,
      timeoutMs,
    );
  }

  /**
   * Emits `signal` on this node through its control server (`count` times,
   * `n` numbered, in bursts of 100 `gapMs` apart).
   */
  async emit(
    signal: string,
    message: unknown,
    count = 1,
    gapMs = 0,
  ): Promise<{ ok?: number; error?: string }> {
    const query = new URLSearchParams({
      signal,
      message: JSON.stringify(message),
      count: String(count),
      gap: String(gapMs),
    });
    const response = await fetch(
      `http://127.0.0.1:${this.port}/emit?${query}`,
    );
    return await response.json();
  }

  /** The cluster connection's status, from the node itself. */
  async status(): Promise<{ state: string; outages: number; server?: string }> {
    const response = await fetch(`http://127.0.0.1:${this.port}/status`);
    return await response.json();
  }

  /** Sends SIGTERM and waits for the exit. */
  async stop(): Promise<Deno.CommandStatus> {
    this.kill("SIGTERM");
    return await this.#done;
  }

  /** Sends `signal` (if the node still runs). */
  kill(signal: Deno.Signal): void {
    try {
      this.child.kill(signal);
    } catch {
      // Already exited.
    }
  }

  /** Resolves with the exit status once the output is read. */
  done(): Promise<Deno.CommandStatus> {
    return this.#done;
  }

  #onLine(line: string): void {
    const [kind, , rest] = splitTwice(line);
    if (kind === "HEARD") {
      const space = rest.indexOf(" ");
      const signal = rest.slice(0, space);
      let list = this.heard.get(signal);
      if (!list) this.heard.set(signal, list = []);
      list.push(JSON.parse(rest.slice(space + 1)));
    } else if (kind === "RUN") {
      const [schedule, slot] = rest.split(" ");
      if (schedule === "tick") this.runs.push(Number(slot));
      else this.localRuns++;
    } else if (kind === "READY") {
      this.started = true;
    }
  }

  async #read(
    stream: ReadableStream<Uint8Array>,
    onLine: (line: string) => void,
  ): Promise<void> {
    let buffered = "";
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      buffered += text;
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) onLine(line);
      for (const waiter of [...this.#waiters]) waiter();
    }
    if (buffered) onLine(buffered);
    for (const waiter of [...this.#waiters]) waiter();
  }
}

/** `KIND NODE REST` split at its first two spaces. */
function splitTwice(line: string): [string, string, string] {
  const first = line.indexOf(" ");
  const second = line.indexOf(" ", first + 1);
  if (first < 0) return [line, "", ""];
  if (second < 0) return [line.slice(0, first), line.slice(first + 1), ""];
  return [
    line.slice(0, first),
    line.slice(first + 1, second),
    line.slice(second + 1),
  ];
}

/**
 * Every slot from the first run to the last, `period` ms apart, with how
 * many nodes ran it: `duplicates` (run more than once) and `missed` (run by
 * none) are what must stay empty.
 */
export function slotCounts(
  nodes: readonly AioNode[],
  periodMs: number,
): {
  slots: number;
  duplicates: number[];
  missed: number[];
  byNode: Record<string, number>;
} {
  const counts = new Map<number, number>();
  const byNode: Record<string, number> = {};
  for (const node of nodes) {
    byNode[node.name] = node.runs.length;
    for (const slot of node.runs) counts.set(slot, (counts.get(slot) ?? 0) + 1);
  }
  const all = [...counts.keys()].sort((a, b) => a - b);
  const duplicates = all.filter((slot) => counts.get(slot)! > 1);
  const missed: number[] = [];
  if (all.length > 0) {
    for (let slot = all[0]; slot <= all[all.length - 1]; slot += periodMs) {
      if (!counts.has(slot)) missed.push(slot);
    }
  }
  return {
    slots: all.length === 0 ? 0 : (all[all.length - 1] - all[0]) / periodMs + 1,
    duplicates,
    missed,
    byNode,
  };
}

/** A config file in a new temp dir; returns its path. */
export async function writeConfig(text: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "aio_cluster_" });
  const path = `${dir}/aio.conf`;
  await Deno.writeTextFile(path, text);
  return path;
}
