/**
 * `aio check`: prepare everything `aio run` would, through the same path,
 * start nothing, and report every problem (not just the first).
 *
 * @module
 */

import { AioError, ExitCode } from "../errors.ts";
import { findConfigFile, SEARCH_PATHS } from "../config/layers.ts";
import { DEFAULTS_SOURCE } from "../config/defaults.ts";
import { printHelp } from "./_args.ts";
import type { Command, CommandContext } from "./types.ts";
import { hasLoggingConf, LOGGING_CONF } from "../logging.ts";

const CHECK_USAGE = `usage: aio check [-h]

Loads the config, its modules and every reference, as aio run would, starts
nothing, and reports every problem at once: errors (exit 78) and warnings
(unknown options and sections; exit 0 when there is no error).`;

/** The `check` command: exit 0 when the config is sound, 78 with every problem listed when not. */
export const checkCommand: Command = {
  description: "Load and validate everything run would, starting nothing",
  async run(args: string[], context: CommandContext): Promise<number> {
    if (printHelp("check", args, CHECK_USAGE)) return 0;
    const { source } = context;
    if (
      source.configString === undefined && source.configFile === undefined &&
      source.searchForConfig !== false && findConfigFile() === undefined
    ) {
      throw new AioError(
        `no config file found (searched ${
          SEARCH_PATHS.map((path) => path.startsWith("/") ? path : `./${path}`)
            .join(", ")
        })`,
        { exitCode: ExitCode.CONFIG },
      );
    }
    const app = context.app;
    try {
      const plan = await app.prepare(source);
      const read = [...new Set(plan.config.files)].filter((file) =>
        file !== DEFAULTS_SOURCE
      );
      if (hasLoggingConf()) read.push(LOGGING_CONF);
      console.log(`aio: read ${read.join(", ") || "no file"}`);
      for (const warning of plan.problems.sortedWarnings()) {
        console.error(`aio: warning: ${warning.message}`);
      }
      plan.problems.throwIfAny();
      console.log(
        `aio: config OK: ${plan.modules.length} module(s), ${plan.listeners.length} listener(s), ${plan.schedules.length} schedule(s), ${
          plan.config.sections().filter((s) => s.startsWith("server/")).length
        } server(s)`,
      );
      return 0;
    } finally {
      await app.clear();
    }
  },
};
