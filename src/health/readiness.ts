/**
 * Whether the app takes traffic, as `/readyz` reports it: ready between
 * `aio-started` and the start of a stop or reload drain.
 *
 * @module
 */

/** Where the app is: not yet started, taking traffic, or draining for a stop or reload. */
export type ReadinessPhase = "starting" | "ready" | "draining";

/**
 * The state `/readyz` reads. The app moves it: `ready()` once `aio-started`
 * has run (and again when a reload is done), `draining()` when a stop or a
 * reload's drain begins.
 *
 * @example
 * ```ts
 * import { Readiness } from "./readiness.ts";
 * const readiness = new Readiness();
 * readiness.ready();
 * readiness.draining();
 * console.log(readiness.isReady, readiness.phase); // false "draining"
 * ```
 */
export class Readiness {
  #phase: ReadinessPhase = "starting";

  /** The current phase. */
  get phase(): ReadinessPhase {
    return this.#phase;
  }

  /** True while the app takes traffic. */
  get isReady(): boolean {
    return this.#phase === "ready";
  }

  /** The app has started (or finished reloading): `/readyz` answers 200. */
  ready(): void {
    this.#phase = "ready";
  }

  /** A stop or a reload's drain has begun: `/readyz` answers 503. */
  draining(): void {
    this.#phase = "draining";
  }
}
