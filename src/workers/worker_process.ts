/**
 * One worker process as the supervisor holds it: the child, its control
 * channel once it has said hello, where it is in its life, and the waits
 * on it (its start, its exit, its metrics).
 *
 * @module
 */

import type { Channel } from "./channel.ts";
import type { SupervisorMessage, WorkerMessage } from "./messages.ts";

/** Where a worker is: spawned, serving, stopping, or gone. */
export type WorkerPhase = "starting" | "running" | "draining" | "exited";

/** How a worker's start went. */
export type StartOutcome =
  | { ok: true }
  | { ok: false; exitCode: number; text: string };

/** How long an exit waits for the last messages of the dead worker's channel (ms). */
const LAST_WORDS_MS = 500;

/** A spawned worker. */
export class WorkerProcess {
  /** Its slot, 1 to N. */
  readonly slot: number;
  /** The secret it presents in its hello. */
  readonly token: string;
  /** The reload generation it was spawned in (0 at the start). */
  readonly generation: number;
  /** The child process. */
  readonly child: Deno.ChildProcess;
  /** When it was spawned (`performance.now()`), and as a date. */
  readonly spawnedAt: number = performance.now();
  /** When it was spawned, as a date. */
  readonly since: Date = new Date();
  /** Where it is. */
  phase: WorkerPhase = "starting";
  /** When it reported `started` (`performance.now()`). */
  startedAt: number | undefined;
  /** Its resident memory, as it last reported it. */
  rss: number | undefined;
  /** The supervisor asked it to stop: its exit is no crash. */
  stopRequested = false;
  /** It said it is stopping (a signal reached it). */
  stopReported = false;
  /** What it said about its failed start, if it did. */
  failure: { exitCode: number; text: string } | undefined;
  /** Its exit status, once it has exited (and its channel has been read to the end). */
  readonly exited: Promise<Deno.CommandStatus>;
  #channel: Channel<WorkerMessage, SupervisorMessage> | undefined;
  #channelEnded: Promise<void> | undefined;
  #startWaiters: ((outcome: StartOutcome) => void)[] = [];
  #requests = new Map<number, (text: string | undefined) => void>();
  #nextRequest = 1;

  /** Holds `child`, spawned for `slot` with `token`. */
  constructor(
    slot: number,
    token: string,
    generation: number,
    child: Deno.ChildProcess,
  ) {
    this.slot = slot;
    this.token = token;
    this.generation = generation;
    this.child = child;
    this.exited = child.status.then(async (status) => {
      // The channel may still hold its last words (a `failed`): read them first.
      if (this.#channelEnded) await within(this.#channelEnded, LAST_WORDS_MS);
      this.phase = "exited";
      const outcome: StartOutcome = {
        ok: false,
        exitCode: this.failure?.exitCode ?? (status.code || 1),
        text: this.failure?.text ??
          `aio: error: worker ${slot} (pid ${child.pid}) ${
            describeExit(status)
          } before it started`,
      };
      this.#settleStart(outcome);
      for (const resolve of this.#requests.values()) resolve(undefined);
      this.#requests.clear();
      return status;
    });
  }

  /** Its pid. */
  get pid(): number {
    return this.child.pid;
  }

  /** Whether it has started and is not stopping. */
  get serving(): boolean {
    return this.phase === "running" && !this.stopRequested;
  }

  /** How long it has been up since it started (ms); 0 when it never started. */
  upMs(now = performance.now()): number {
    return this.startedAt === undefined ? 0 : now - this.startedAt;
  }

  /** Attaches its channel (after its hello); `ended` resolves when the channel closes. */
  attach(
    channel: Channel<WorkerMessage, SupervisorMessage>,
    ended: Promise<void>,
  ): void {
    this.#channel = channel;
    this.#channelEnded = ended;
  }

  /** Sends `message`, if its channel is open. */
  send(message: SupervisorMessage): void {
    this.#channel?.send(message);
  }

  /** It said it started. */
  markStarted(rss: number): void {
    if (this.phase !== "starting") return;
    this.phase = this.stopRequested ? "draining" : "running";
    this.startedAt = performance.now();
    this.rss = rss;
    this.#settleStart({ ok: true });
  }

  /** Resolves once it has started, or with why not (it exited first, or `timeoutMs` passed). */
  waitStarted(timeoutMs?: number): Promise<StartOutcome> {
    if (this.startedAt !== undefined) return Promise.resolve({ ok: true });
    if (this.phase === "exited") {
      return Promise.resolve({
        ok: false,
        exitCode: this.failure?.exitCode ?? 1,
        text: this.failure?.text ?? `aio: error: worker ${this.slot} exited`,
      });
    }
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const settle = (outcome: StartOutcome) => {
        clearTimeout(timer);
        resolve(outcome);
      };
      this.#startWaiters.push(settle);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.#startWaiters = this.#startWaiters.filter((w) => w !== settle);
          settle({
            ok: false,
            exitCode: 1,
            text:
              `aio: error: worker ${this.slot} (pid ${this.pid}) did not start within ${
                timeoutMs / 1000
              } s`,
          });
        }, timeoutMs);
      }
    });
  }

  /** Asks for its metrics page; undefined when it does not answer within `timeoutMs`. */
  metrics(timeoutMs: number): Promise<string | undefined> {
    if (!this.#channel || this.phase === "exited") {
      return Promise.resolve(undefined);
    }
    const id = this.#nextRequest++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#requests.delete(id);
        resolve(undefined);
      }, timeoutMs);
      this.#requests.set(id, (text) => {
        clearTimeout(timer);
        this.#requests.delete(id);
        resolve(text);
      });
      this.send({ type: "metrics", id });
    });
  }

  /** Its answer to a metrics request came. */
  answered(id: number, text: string): void {
    this.#requests.get(id)?.(text);
  }

  /** Sends `signal`; false when it is gone. */
  kill(signal: Deno.Signal): boolean {
    if (this.phase === "exited") return false;
    try {
      this.child.kill(signal);
      return true;
    } catch {
      return false;
    }
  }

  #settleStart(outcome: StartOutcome): void {
    const waiters = this.#startWaiters;
    this.#startWaiters = [];
    for (const waiter of waiters) waiter(outcome);
  }
}

/** `exited with code 3` or `was killed by SIGKILL`. */
export function describeExit(status: Deno.CommandStatus): string {
  return status.signal
    ? `was killed by ${status.signal}`
    : `exited with code ${status.code}`;
}

async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    promise,
    new Promise((resolve) => timer = setTimeout(resolve, ms)),
  ]);
  clearTimeout(timer);
}
