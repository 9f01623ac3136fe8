/**
 * What log output is written to: `Deno.stdout`, `Deno.stderr`, or a test's
 * stand-in, and writing all of a buffer to it.
 *
 * @module
 */

/** What a stream handler writes to: `Deno.stdout`, `Deno.stderr`, or a test's stand-in. */
export interface WritableLike {
  /** Writes some of `data`, returning how many bytes were written. */
  writeSync(data: Uint8Array): number;
  /** Whether the stream is a terminal (for colour). */
  isTerminal?(): boolean;
}

/** Writes all of `data`, looping over short writes. */
export function writeAll(stream: WritableLike, data: Uint8Array): void {
  let offset = 0;
  while (offset < data.length) {
    offset += stream.writeSync(
      offset === 0 ? data : data.subarray(offset),
    );
  }
}
