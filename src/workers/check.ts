/**
 * The check before a rolling reload: `aio check` in a child process, with
 * the workers' command line. A fresh process imports the modules as they
 * are on disk now (the supervisor's own imports are cached, and memory a
 * re-import takes is never given back), and reports every problem.
 *
 * @module
 */

import { childEnv } from "./spawn.ts";
import { RUNTIME_ERROR_PREFIX } from "../daemon/reload_outcome.ts";

/** How long the check may take before it counts as failed (ms). */
export const CHECK_TIMEOUT_MS = 60_000;

/** What the check found: no errors, or each one as a reload outcome holds it. */
export interface CheckOutcome {
  /** Whether the config can run. */
  ok: boolean;
  /** The errors, as {@linkcode outcomeLine} gives them. */
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
        `${RUNTIME_ERROR_PREFIX}cannot run the check: ${
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
      RUNTIME_ERROR_PREFIX +
        (signal === "SIGKILL"
          ? `the check did not finish within ${timeoutMs / 1000} s`
          : `the check failed with exit code ${code}`),
    );
  }
  return { ok: false, errors };
}

/**
 * The error lines of aio's stderr, as {@linkcode outcomeLine} gives them;
 * warnings and anything else left out.
 *
 * @example
 * ```ts
 * import { parseCheckErrors } from "./check.ts";
 * parseCheckErrors("aio: warning: x\naio: config error: app.conf:3: [aio] workers: bad\n");
 * // ["app.conf:3: [aio] workers: bad"]
 * ```
 */
export function parseCheckErrors(stderr: string): string[] {
  return stderr.split("\n").filter((line) =>
    /^aio: (?:config )?error: /.test(line)
  ).map(outcomeLine);
}

/**
 * An error line aio printed as a reload outcome holds it
 * (`daemon/reload_outcome.ts`): a config error's `FILE:LINE: ...`, any
 * other error as `error: ...`.
 *
 * @example
 * ```ts
 * import { outcomeLine } from "./check.ts";
 * outcomeLine("aio: config error: app.conf:3: [aio] workers: bad"); // "app.conf:3: [aio] workers: bad"
 * outcomeLine("aio: error: Cannot listen"); // "error: Cannot listen"
 * outcomeLine("Worker 1 exited"); // "error: Worker 1 exited"
 * ```
 */
export function outcomeLine(line: string): string {
  const config = /^aio: config error: (.*)$/.exec(line);
  if (config) return config[1];
  return RUNTIME_ERROR_PREFIX + line.replace(/^aio: error: /, "");
}
