/**
 * `aio reload`: SIGHUP to the aio that holds the pidfile, then wait for
 * the outcome it writes beside the pidfile (`daemon/reload_outcome.ts`)
 * and print it: `reloaded` (exit 0), or each problem in one line as `aio
 * check` prints them (exit 78 when the new config is at fault, 1 for any
 * other failure). Exit 1 when nothing runs, or no outcome comes in time.
 *
 * @module
 */

import { sendSignal } from "../daemon/signal_process.ts";
import { AioError, ExitCode } from "../errors.ts";
import { PidfileProbe } from "../daemon/pidfile.ts";
import { MAX_TIMER_S, MIN_WAIT_S } from "../config/bounds.ts";
import {
  answersSignal,
  printedLine,
  readReloadOutcome,
  type ReloadOutcome,
  RUNTIME_ERROR_PREFIX,
} from "../daemon/reload_outcome.ts";
import { daemonSettings } from "../daemon/target.ts";
import { type ConfigError, formatSource } from "../config/errors.ts";
import { absolutePath } from "../paths.ts";
import type { Command, CommandContext } from "./types.ts";
import { parseArgs, secondsArgument } from "./_args.ts";
import { COMMAND_SPECS } from "./specs.ts";

/**
 * What `aio reload` waits beyond twice `shutdown_timeout` (the listeners
 * of `aio-reloading` and `aio-reloaded` may take that long), in ms: a
 * module import that hangs fails the reload after 10 s.
 */
export const RELOAD_MARGIN_MS = 15_000;
const POLL_MS = 25;

/** The `reload` command. */
export const reloadCommand: Command = {
  description: COMMAND_SPECS.reload.summary,
  async run(args: string[], context: CommandContext): Promise<number> {
    const parsed = parseArgs(COMMAND_SPECS.reload, args);
    const explicitTimeout = secondsArgument(
      "--timeout",
      parsed.value("--timeout"),
      { min: MIN_WAIT_S, max: MAX_TIMER_S },
    );
    // A broken config is a warning here: the daemon is still signalled, and
    // its reload reports the problem (exit 78) while it runs on.
    const settings = daemonSettings(context.source, {
      pidfile: parsed.value("--pidfile"),
      shutdownTimeoutMs: explicitTimeout && explicitTimeout * 1000,
    });
    const path = settings.pidfile;
    const timeoutMs = explicitTimeout !== undefined
      ? explicitTimeout * 1000
      : 2 * settings.shutdownTimeoutMs + RELOAD_MARGIN_MS;
    const probe = await PidfileProbe.open(path);
    try {
      let outcome: ReloadOutcome;
      try {
        const pid = probe.runningPid();
        const before = await readReloadOutcome(path);
        await sendSignal(pid, "SIGHUP");
        outcome = await waitForOutcome(probe, before, pid, timeoutMs);
      } catch (error) {
        if (settings.warning) console.error(settings.warning);
        throw error;
      }
      // Said once: not again when the process reports the same problem.
      if (settings.warning && !reports(outcome, settings.problem)) {
        console.error(settings.warning);
      }
      if (outcome.outcome === "reloaded") {
        console.log("reloaded");
        return ExitCode.OK;
      }
      for (const line of outcome.errors) console.error(printedLine(line));
      const configFault = outcome.errors.some((line) =>
        !line.startsWith(RUNTIME_ERROR_PREFIX)
      );
      return configFault ? ExitCode.CONFIG : ExitCode.FAILURE;
    } finally {
      probe.close();
    }
  },
};

/** Whether `outcome` lists `problem` (the process names its config by its absolute path). */
function reports(
  outcome: ReloadOutcome,
  problem: ConfigError | undefined,
): boolean {
  if (problem === undefined) return false;
  const at = (file: string) =>
    `${formatSource(file, problem.line)}: ${problem.detail}`;
  const lines = new Set([at(problem.source), at(absolutePath(problem.source))]);
  return outcome.errors.some((line) => lines.has(line));
}

/** Polls the outcome file until `pid` answers, exits, or `timeoutMs` passes. */
async function waitForOutcome(
  probe: PidfileProbe,
  before: ReloadOutcome | undefined,
  pid: number,
  timeoutMs: number,
): Promise<ReloadOutcome> {
  const deadline = performance.now() + timeoutMs;
  while (true) {
    const outcome = await readReloadOutcome(probe.path);
    if (answersSignal(outcome, before, pid)) return outcome;
    if (await probe.waitForRelease(0)) {
      throw new AioError(`pid ${pid} exited before it reported the reload`);
    }
    if (performance.now() >= deadline) {
      throw new AioError(
        `pid ${pid} reported no reload within ${
          timeoutMs / 1000
        } s (see its log)`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
