/**
 * `aio check`: prepare everything `aio run` would, through the same path,
 * start nothing, and report every problem (not just the first).
 *
 * @module
 */

import { AioError, ExitCode } from "../errors.ts";
import {
  findConfigFile,
  OVERRIDES_SOURCE,
  SEARCH_PATHS,
} from "../config/layers.ts";
import { DEFAULTS_SOURCE } from "../config/defaults.ts";
import { parseArgs } from "./_args.ts";
import { COMMAND_SPECS } from "./specs.ts";
import type { Command, CommandContext } from "./types.ts";
import { hasLoggingConf, LOGGING_CONF } from "../config/logging_conf.ts";
import { IMPORT_TIMEOUT_MS, printWarnings } from "./_prepared.ts";
import { AIO_MODULE_SPECIFIER } from "../modules.ts";

/** How long `aio check` lets one module import (ms): {@linkcode IMPORT_TIMEOUT_MS}, by its earlier name. */
export const CHECK_IMPORT_TIMEOUT_MS = IMPORT_TIMEOUT_MS;

/** The `check` command: exit 0 when the config is sound, 78 with every problem listed when not. */
export const checkCommand: Command = {
  description: COMMAND_SPECS.check.summary,
  async run(args: string[], context: CommandContext): Promise<number> {
    parseArgs(COMMAND_SPECS.check, args);
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
      const plan = await app.prepare(source, {
        importTimeoutMs: IMPORT_TIMEOUT_MS,
        // Checks the log files, creating none: a check writes nothing.
        openLogFiles: false,
      });
      const read = [...new Set(plan.config.files)].filter((file) =>
        file !== DEFAULTS_SOURCE && file !== OVERRIDES_SOURCE
      );
      if (hasLoggingConf()) read.push(LOGGING_CONF);
      console.log(`aio: read ${read.join(", ") || "no file"}`);
      printWarnings(plan.problems);
      plan.problems.throwIfAny();
      // The modules the config lists: aio's own, always first, is not one.
      const configured = plan.modules.filter((module) =>
        module.specifier !== AIO_MODULE_SPECIFIER
      );
      console.log(
        `aio: config OK: ${configured.length} module(s), ${plan.listeners.length} listener(s), ${plan.schedules.length} schedule(s), ${
          plan.config.sections().filter((s) => s.startsWith("server/")).length
        } server(s)`,
      );
      return 0;
    } finally {
      await app.clear();
    }
  },
};
