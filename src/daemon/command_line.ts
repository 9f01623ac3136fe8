/**
 * The command that starts the daemon: this same aio, with the same Deno
 * permission flags the launcher has (never more).
 *
 * @module
 */

import { AioError } from "../errors.ts";
import { runningUnderDeno } from "../deno_path.ts";

/** Flags of the launcher's `deno run` that a daemon must not inherit. */
const DROPPED_FLAG =
  /^--(watch|watch-hmr|hmr|watch-exclude|no-clear-screen)(=|$)/;

/**
 * The program and arguments that run `aio CLI_ARGS` as this process does:
 * a compiled aio runs itself; under `deno run`, the same module with the
 * same permission flags, read from `/proc/self/cmdline` (file watching
 * dropped); with every permission granted, `-A`.
 *
 * @throws {AioError} Under partial permissions where the flags cannot be
 * read (outside Linux, or without read access to `/proc/self/cmdline`).
 */
export function aioCommand(cliArgs: readonly string[]): string[] {
  const exec = Deno.execPath();
  if (!runningUnderDeno()) return [exec, ...cliArgs];
  const flags = ownDenoFlags() ?? (allGranted() ? ["-A"] : undefined);
  if (!flags) {
    throw new AioError(
      "run -d cannot tell which permission flags to give the daemon: allow reading /proc/self/cmdline (--allow-read=/proc/self/cmdline) or run with -A",
    );
  }
  return [exec, "run", ...flags, Deno.mainModule, ...cliArgs];
}

/**
 * The flags between `deno run` and the main module on this process's
 * command line; undefined where it cannot be read.
 */
export function ownDenoFlags(): string[] | undefined {
  let argv: string[];
  try {
    argv = Deno.readTextFileSync("/proc/self/cmdline").split("\0");
  } catch {
    return undefined;
  }
  if (argv.at(-1) === "") argv.pop();
  // [deno, run, ...flags, script, ...Deno.args]
  const script = argv.length - Deno.args.length - 1;
  if (script < 1) return undefined;
  const flags = argv.slice(1, script);
  if (flags[0] === "run") flags.shift();
  return flags.filter((flag) => !DROPPED_FLAG.test(flag));
}

function allGranted(): boolean {
  const names = [
    "read",
    "write",
    "net",
    "env",
    "run",
    "ffi",
    "sys",
    "import",
  ] as const;
  return names.every((name) => {
    try {
      return Deno.permissions.querySync({ name }).state === "granted";
    } catch {
      return false;
    }
  });
}
