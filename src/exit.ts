/**
 * Leaving the process without losing output: the app's exit hooks (the
 * logging flush among them) run first.
 *
 * @module
 */

import type { App } from "./app.ts";

/** Runs `app`'s exit hooks, then exits with `code`. */
export async function exitAfterFlush(app: App, code: number): Promise<never> {
  await app.runExitHooks();
  Deno.exit(code);
}
