/**
 * `aio stop`: SIGTERM to the process that holds the pidfile's lock, then
 * wait for it to exit.
 *
 * @module
 */

import { AioError, ExitCode, UsageError } from "../errors.ts";
import { PidfileProbe } from "../daemon/pidfile.ts";
import { daemonSettings } from "../daemon/target.ts";
import { WATCHDOG_GRACE_MS } from "../stop_watchdog.ts";
import type { Command, CommandContext } from "./types.ts";
import { parseOptions } from "./_args.ts";

/** What `aio stop` waits beyond the daemon's own bound (`shutdown_timeout` + 1 s), in ms. */
const STOP_MARGIN_MS = 2000;

const STOP_USAGE = `usage: aio stop [-h] [--pidfile PATH] [--timeout SECONDS]

Sends SIGTERM to the aio that holds the pidfile (checked by its lock: a
stale pidfile's pid is never signalled) and waits for it to exit.
Exit 0 once it has exited; 1 when nothing runs or it is still running
after the wait.

  --pidfile PATH       the pidfile (default [aio] pidfile, else var/run/aio.pid)
  --timeout SECONDS    how long to wait (default [aio] shutdown_timeout + 3)`;

/** The `stop` command. */
export const stopCommand: Command = {
  description: "Stop the app that aio run -d started",
  async run(args: string[], context: CommandContext): Promise<number> {
    const values = parseOptions("stop", args, {
      pidfile: { type: "string" },
      timeout: { type: "string" },
      help: { type: "boolean", short: "h" },
    });
    if (values.help) {
      console.log(STOP_USAGE);
      return ExitCode.OK;
    }
    const explicitTimeout = seconds("stop", "--timeout", values.timeout);
    const settings =
      values.pidfile !== undefined && explicitTimeout !== undefined
        ? undefined
        : daemonSettings(context.source);
    const path = values.pidfile ?? settings!.pidfile;
    const timeoutMs = explicitTimeout !== undefined
      ? explicitTimeout * 1000
      : settings!.shutdownTimeoutMs + WATCHDOG_GRACE_MS + STOP_MARGIN_MS;
    const probe = await PidfileProbe.open(path);
    try {
      const { state } = probe;
      if (state.state === "absent") {
        throw new AioError(`not running (no pidfile at ${path})`);
      }
      if (state.state === "stale") {
        throw new AioError(
          `not running (${path} is stale: ${
            state.pid === undefined ? "no pid" : `pid ${state.pid}`
          } holds no lock on it)`,
        );
      }
      if (state.pid === undefined) {
        throw new AioError(
          `${path} is locked by a process that has not written its pid yet; try again`,
        );
      }
      const started = performance.now();
      Deno.kill(state.pid, "SIGTERM");
      console.log(
        `aio: stopping pid ${state.pid} (SIGTERM), waiting up to ${
          timeoutMs / 1000
        } s`,
      );
      if (!await probe.waitForRelease(timeoutMs)) {
        throw new AioError(
          `pid ${state.pid} is still running after ${timeoutMs / 1000} s`,
        );
      }
      console.log(
        `aio: stopped pid ${state.pid} in ${
          ((performance.now() - started) / 1000).toFixed(1)
        } s`,
      );
      return ExitCode.OK;
    } finally {
      probe.close();
    }
  },
};

/** A `--NAME SECONDS` value, 0 or more; undefined when not given. */
export function seconds(
  command: string,
  option: string,
  value: string | undefined,
): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === "" || !Number.isFinite(number) || number < 0) {
    throw new UsageError(
      `${command}: ${option}: expected a number of seconds, not '${value}'`,
    );
  }
  return number;
}
