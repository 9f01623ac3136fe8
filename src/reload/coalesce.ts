/**
 * One task at a time, later requests coalesced: what keeps two reloads
 * from overlapping. A request while a run is under way queues one more
 * run, shared by every request made before it starts; each request's
 * promise is the outcome of a run that began after the request.
 *
 * @module
 */

/**
 * Runs a task, never two at once, coalescing the requests that come while
 * one runs into a single next run.
 *
 * @example Three requests, two runs
 * ```ts
 * import { Coalescing } from "./coalesce.ts";
 * let runs = 0;
 * const reloads = new Coalescing(async () => {
 *   await new Promise((resolve) => setTimeout(resolve, 10));
 *   return ++runs;
 * });
 * const results = await Promise.all([reloads.request(), reloads.request(), reloads.request()]);
 * console.log(results); // [1, 2, 2]
 * ```
 */
export class Coalescing<T> {
  readonly #task: () => Promise<T>;
  #running: Promise<T> | undefined;
  #next: Promise<T> | undefined;

  /** Runs `task` for requests. */
  constructor(task: () => Promise<T>) {
    this.#task = task;
  }

  /** The run under way, if any (settles when it ends). */
  get running(): Promise<T> | undefined {
    return this.#running;
  }

  /** Whether a run is queued behind the one under way. */
  get queued(): boolean {
    return this.#next !== undefined;
  }

  /**
   * Asks for a run that starts after this call: now when none runs, else
   * the one queued behind it.
   *
   * @returns That run's result.
   */
  request(): Promise<T> {
    if (this.#next) return this.#next;
    const running = this.#running;
    if (!running) return this.#start();
    this.#next = running.then(() => {}, () => {}).then(() => {
      this.#next = undefined;
      return this.#start();
    });
    return this.#next;
  }

  #start(): Promise<T> {
    const run = Promise.resolve().then(() => this.#task());
    const tracked = run.finally(() => {
      if (this.#running === tracked) this.#running = undefined;
    });
    this.#running = tracked;
    return tracked;
  }
}
