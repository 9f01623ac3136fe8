/**
 * The app prepared as `aio check` prepares it, for the commands that print
 * something derived from the config (`aio permissions`, `aio unit`): they
 * refuse a config `aio check` refuses, with the same lines and exit 78.
 *
 * @module
 */

import type { Plan } from "../prepare.ts";
import type { Problems } from "../config/problems.ts";
import type { CommandContext } from "./types.ts";

/**
 * How long one module may take to import in `aio check` and the commands
 * that check as it does: a top-level await that never settles is then
 * reported as a config error naming the module (ms).
 */
export const IMPORT_TIMEOUT_MS = 10_000;

/** Prints each warning as `aio check` does: `aio: warning: ...` on stderr, in file order. */
export function printWarnings(problems: Problems): void {
  for (const warning of problems.sortedWarnings()) {
    console.error(`aio: warning: ${warning.message}`);
  }
}

/**
 * Prepares the app through the path `aio run` and `aio check` share
 * (every layer, the modules, every listener, schedule, server and command
 * resolved; nothing started), prints the warnings as check does and throws
 * the errors (`ConfigErrors`, exit 78). The caller clears the app.
 */
export async function prepareChecked(context: CommandContext): Promise<Plan> {
  const plan = await context.app.prepare(context.source, {
    importTimeoutMs: IMPORT_TIMEOUT_MS,
    // These commands only read: the log files are checked, not created.
    openLogFiles: false,
  });
  printWarnings(plan.problems);
  plan.problems.throwIfAny();
  return plan;
}
