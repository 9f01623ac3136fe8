/**
 * Leaving the process without losing output: whatever registered a flush
 * (logging, once configured) is flushed first.
 *
 * @module
 */

const flushers = new Set<() => Promise<void> | void>();

/** Registers `flush` to run before the CLI exits; returns a function that unregisters it. */
export function onBeforeExit(flush: () => Promise<void> | void): () => void {
  flushers.add(flush);
  return () => flushers.delete(flush);
}

/** Runs every registered flush (errors are ignored: the exit code matters more). */
export async function flushBeforeExit(): Promise<void> {
  for (const flush of [...flushers]) {
    try {
      await flush();
    } catch {
      // A failed flush must not turn a clean exit into a crash.
    }
  }
}

/** Flushes, then exits with `code`. */
export async function exitAfterFlush(code: number): Promise<never> {
  await flushBeforeExit();
  Deno.exit(code);
}
