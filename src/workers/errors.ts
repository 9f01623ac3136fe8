/**
 * The error of a worker that could not start, apart from the supervisor so
 * that `aio run` can tell it without loading the supervisor.
 *
 * @module
 */

import { AioError } from "../errors.ts";

/**
 * A worker could not start: `aio run` exits with its code. The worker has
 * printed its error itself (its stderr is the supervisor's), so the
 * supervisor does not print it again.
 */
export class WorkerStartFailed extends AioError {
  /** The worker's error lines (`aio: error: ...`). */
  readonly text: string;

  /** Creates the error from a worker's failed start. */
  constructor(exitCode: number, text: string) {
    super(text.replace(/^aio: (config )?error: /, ""), { exitCode });
    this.name = "WorkerStartFailed";
    this.text = text;
  }
}
