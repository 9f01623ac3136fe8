/**
 * `aio run [-d]`: start the app, wait for SIGINT or SIGTERM, stop it.
 *
 * @module
 */

import type { App } from "../app.ts";
import { exitAfterFlush } from "../exit.ts";
import { detach, pidfileRelease } from "../detach.ts";
import type { Command, CommandContext } from "./types.ts";
import { parseArgs } from "./_args.ts";
import { COMMAND_SPECS } from "./specs.ts";
import { reopenLogFiles } from "../logging.ts";

const STOP_SIGNALS = ["SIGINT", "SIGTERM"] as const;

/** The `run` command. */
export const runCommand: Command = {
  description: COMMAND_SPECS.run.summary,
  async run(args: string[], context: CommandContext): Promise<number> {
    const parsed = parseArgs(COMMAND_SPECS.run, args);
    if (parsed.has("--detach")) return await detach(context);
    const releasePidfile = pidfileRelease();
    // Listen before starting, so a signal that comes during start-up is not lost.
    const app = context.app;
    const stopRequested = context.foreground
      ? waitForStopSignal(app)
      : undefined;
    // SIGUSR1 and SIGHUP (logrotate's postrotate, `systemctl reload`) reopen
    // the log files; neither may kill aio. (SIGHUP is to mean reload later.)
    if (context.foreground && Deno.build.os !== "windows") {
      for (const signal of ["SIGUSR1", "SIGHUP"] as const) {
        Deno.addSignalListener(signal, () => void reopenLogFiles());
      }
    }
    try {
      const plan = await app.prepare(context.source);
      await app.start(plan);
      if (!stopRequested) return 0;
      await stopRequested;
      await app.stop();
      return 0;
    } finally {
      if (context.foreground) releasePidfile?.();
    }
  },
};

/**
 * Resolves on the first SIGINT or SIGTERM. From then on, a second one
 * forces exit 1 at once (the stop is taking too long for the user).
 */
function waitForStopSignal(app: App): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    // Signal listeners do not keep Deno's event loop alive; an app with no
    // server and no schedule must still run until it is told to stop.
    setInterval(() => {}, 2 ** 30);
    const onSignal = () => {
      if (stopping) {
        console.error("aio: error: second signal during stop, exiting now");
        exitAfterFlush(app, 1);
        return;
      }
      stopping = true;
      resolve();
    };
    for (const signal of STOP_SIGNALS) Deno.addSignalListener(signal, onSignal);
  });
}
