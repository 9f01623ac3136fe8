/**
 * `aio stop`: SIGTERM to the process that holds the pidfile's lock, then
 * wait for it to exit.
 *
 * @module
 */

import { sendSignal } from "../daemon/signal_process.ts";
import { AioError, ExitCode } from "../errors.ts";
import { PidfileProbe } from "../daemon/pidfile.ts";
import { MAX_TIMER_S } from "../config/bounds.ts";
import { daemonSettings } from "../daemon/target.ts";
import { WATCHDOG_GRACE_MS } from "../stop_watchdog.ts";
import type { Command, CommandContext } from "./types.ts";
import { parseArgs, secondsArgument } from "./_args.ts";
import { COMMAND_SPECS } from "./specs.ts";

/** What `aio stop` waits beyond the daemon's own bound (`shutdown_timeout` + 1 s), in ms. */
const STOP_MARGIN_MS = 2000;

/** The `stop` command. */
export const stopCommand: Command = {
  description: COMMAND_SPECS.stop.summary,
  async run(args: string[], context: CommandContext): Promise<number> {
    const parsed = parseArgs(COMMAND_SPECS.stop, args);
    // 0: signal and do not wait. Waited for by polling the lock.
    const explicitTimeout = secondsArgument(
      "--timeout",
      parsed.value("--timeout"),
      { min: 0, max: MAX_TIMER_S },
    );
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
      const pid = probe.runningPid();
      const started = performance.now();
      await sendSignal(pid, "SIGTERM");
      console.log(
        `aio: stopping pid ${pid} (SIGTERM), waiting up to ${
          timeoutMs / 1000
        } s`,
      );
      if (!await probe.waitForRelease(timeoutMs)) {
        throw new AioError(
          `pid ${pid} is still running after ${timeoutMs / 1000} s`,
        );
      }
      console.log(
        `aio: stopped pid ${pid} in ${
          ((performance.now() - started) / 1000).toFixed(1)
        } s`,
      );
      return ExitCode.OK;
    } finally {
      probe.close();
    }
  },
};
