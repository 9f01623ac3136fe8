/**
 * `aio run -d`: start the app in the background with a pidfile, and make
 * sure only one copy runs per pidfile.
 *
 * @module
 */

import { AioError } from "./errors.ts";
import { processAlive } from "./process_alive.ts";
import { LOG_FILE_MODE } from "./logging.ts";
import { runningUnderDeno } from "./deno_path.ts";
import type { CommandContext } from "./commands/types.ts";

/** Where `aio run -d` records the background process's id. */
export const PIDFILE = "var/run/aio.pid";
/** Where a detached app's output goes. */
export const DETACHED_LOG = "var/log/aio.log";
/** Set in the detached child: the pidfile it must remove on exit. */
const PIDFILE_ENV = "AIO_PIDFILE";

/** The pid a pidfile records, or undefined when it is missing or holds no number. */
export function readPidfile(path = PIDFILE): number | undefined {
  try {
    const pid = Number.parseInt(Deno.readTextFileSync(path).trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Refuses while the pidfile's process lives (whatever process it is: aio
 * never signals or overwrites it), and removes a stale pidfile.
 */
export function claimPidfile(path = PIDFILE): void {
  const pid = readPidfile(path);
  if (pid !== undefined && processAlive(pid)) {
    throw new AioError(
      `Already running: ${path} names process ${pid}, which is alive`,
    );
  }
  try {
    Deno.removeSync(path);
  } catch {
    // No stale pidfile to remove.
  }
}

/** Starts `aio run` again in the background and records its pid. */
export async function detach(context: CommandContext): Promise<number> {
  claimPidfile();
  await Deno.mkdir("var/run", { recursive: true });
  await Deno.mkdir("var/log", { recursive: true });
  // Created here, not by the shell's `>>`, so its mode does not depend on the umask.
  (await Deno.open(DETACHED_LOG, {
    append: true,
    create: true,
    mode: LOG_FILE_MODE,
  })).close();
  const args = childArgs(context);
  const child = new Deno.Command("sh", {
    args: ["-c", `exec "$0" "$@" >>${DETACHED_LOG} 2>&1`, ...args],
    env: { [PIDFILE_ENV]: PIDFILE },
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  const file = Deno.openSync(PIDFILE, {
    write: true,
    createNew: true,
    mode: 0o644,
  });
  try {
    file.writeSync(new TextEncoder().encode(`${child.pid}\n`));
  } finally {
    file.close();
  }
  child.unref();
  console.log(
    `aio: running in the background, pid ${child.pid} (${PIDFILE}), output in ${DETACHED_LOG}`,
  );
  return 0;
}

/**
 * In the detached child (started by {@linkcode detach}): a function that
 * removes the pidfile if it still names this process. Undefined elsewhere.
 */
export function pidfileRelease(): (() => void) | undefined {
  const path = Deno.env.get(PIDFILE_ENV);
  if (!path) return undefined;
  return () => {
    if (readPidfile(path) === Deno.pid) {
      try {
        Deno.removeSync(path);
      } catch {
        // Already gone.
      }
    }
  };
}

function childArgs(context: CommandContext): string[] {
  const forwarded = context.argv.filter((arg) =>
    arg !== "-d" && arg !== "--detach"
  );
  if (
    context.source.configFile &&
    !forwarded.some((a) => a === "-c" || a.startsWith("--config"))
  ) {
    forwarded.unshift("-c", context.source.configFile);
  }
  const exec = Deno.execPath();
  return runningUnderDeno()
    ? [exec, "run", "-A", Deno.mainModule, ...forwarded]
    : [exec, ...forwarded];
}
