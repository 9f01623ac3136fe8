/**
 * `aio stop`: SIGTERM to the process that holds the pidfile's lock, then
 * wait for it to exit.
 *
 * @module
 */

import { sendSignal } from "../daemon/signal_process.ts";
import { AioError, ExitCode, UsageError } from "../errors.ts";
import { PidfileProbe } from "../daemon/pidfile.ts";
import { daemonSettings } from "../daemon/target.ts";
import { WATCHDOG_GRACE_MS } from "../stop_watchdog.ts";
import type { Command, CommandContext } from "./types.ts";
import { parseArgs } from "./_args.ts";
import { COMMAND_SPECS } from "./specs.ts";

/** What `aio stop` waits beyond the daemon's own bound (`shutdown_timeout` + 1 s), in ms. */
const STOP_MARGIN_MS = 2000;

/** The `stop` command. */
export const stopCommand: Command = {
  description: COMMAND_SPECS.stop.summary,
  async run(args: string[], context: CommandContext): Promise<number> {
    const parsed = parseArgs(COMMAND_SPECS.stop, args);
    const explicitTimeout = seconds("--timeout", parsed.value("--timeout"));
    // A broken config is a warning here: nothing may keep aio from stopping.
    const settings = daemonSettings(context.source, {
      pidfile: parsed.value("--pidfile"),
      shutdownTimeoutMs: explicitTimeout && explicitTimeout * 1000,
    });
    if (settings.warning) console.error(settings.warning);
    const path = settings.pidfile;
    const timeoutMs = explicitTimeout !== undefined
      ? explicitTimeout * 1000
      : settings.shutdownTimeoutMs + WATCHDOG_GRACE_MS + STOP_MARGIN_MS;
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
      await sendSignal(state.pid, "SIGTERM");
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
function seconds(
  option: string,
  value: string | undefined,
): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === "" || !Number.isFinite(number) || number < 0) {
    throw new UsageError(
      `argument ${option}: expected seconds (0 or more), got '${value}'`,
    );
  }
  return number;
}
