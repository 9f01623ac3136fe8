/**
 * The check before a rolling reload: `aio check` in a child process, with
 * the workers' command line. A fresh process imports the modules as they
 * are on disk now (the supervisor's own imports are cached, and memory a
 * re-import takes is never given back), and reports every problem.
 *
 * @module
 */

import { childEnv } from "./spawn.ts";

/** How long the check may take before it counts as failed (ms). */
export const CHECK_TIMEOUT_MS = 60_000;

/** What the check found: no errors, or each one as `FILE:LINE: ...` (or the runtime error's line). */
export interface CheckOutcome {
  /** Whether the config can run. */
  ok: boolean;
  /** The errors, without their `aio: config error: ` or `aio: error: ` prefix. */
  errors: string[];
}

/**
 * Runs `command` (an `aio ... check` command line) and reads its verdict.
 *
 * @example
 * ```ts ignore
 * import { runCheck } from "./check.ts";
 * const outcome = await runCheck([Deno.execPath(), "run", "-A", "cli.ts", "check"]);
 * console.log(outcome.ok, outcome.errors);
 * ```
 */
export async function runCheck(
  command: readonly string[],
  timeoutMs = CHECK_TIMEOUT_MS,
): Promise<CheckOutcome> {
  const [program, ...args] = command;
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(program, {
      args,
      ...childEnv({ NO_COLOR: "1" }),
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    return {
      ok: false,
      errors: [
        `cannot run the check: ${
          error instanceof Error ? error.message : String(error)
        }`,
      ],
    };
  }
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // Gone already.
    }
  }, timeoutMs);
  const [{ code, signal }, stderr] = await Promise.all([
    child.status,
    new Response(child.stderr).text(),
  ]).finally(() => clearTimeout(timer));
  if (code === 0) return { ok: true, errors: [] };
  const errors = parseCheckErrors(stderr);
  if (errors.length === 0) {
    errors.push(
      signal === "SIGKILL"
        ? `the check did not finish within ${timeoutMs / 1000} s`
        : `the check failed with exit code ${code}`,
    );
  }
  return { ok: false, errors };
}

/**
 * The error lines of aio's stderr, without their prefix; warnings and
 * anything else left out.
 *
 * @example
 * ```ts
 * import { parseCheckErrors } from "./check.ts";
 * parseCheckErrors("aio: warning: x\naio: config error: app.conf:3: [aio] workers: bad\n");
 * // ["app.conf:3: [aio] workers: bad"]
 * ```
 */
export function parseCheckErrors(stderr: string): string[] {
  const errors: string[] = [];
  for (const line of stderr.split("\n")) {
    const match = /^aio: (?:config )?error: (.*)$/.exec(line);
    if (match) errors.push(match[1]);
  }
  return errors;
}
