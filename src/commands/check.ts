/**
 * `aio check`: load and validate everything `aio run` would, start nothing,
 * and report every problem (not just the first).
 *
 * @module
 */

import { app, readShutdownTimeout } from "../app.ts";
import type { ConfigError } from "../config/errors.ts";
import { ConfigErrors } from "../errors.ts";
import { printHelp } from "./_args.ts";
import { attachListeners, readListenerSpecs } from "../listeners.ts";
import { resolveSchedules } from "../schedules.ts";
import { Signals } from "../signals.ts";
import { validateLogging } from "../logging.ts";
import { checkServers } from "../server/mod.ts";
import { sectionsWithPrefix } from "../config/sections.ts";
import type { Command, CommandContext } from "./types.ts";

const CHECK_USAGE =
  "usage: aio check\n\nLoads the config, its modules and references, and reports every problem.";

/** The `check` command: exit 0 when the config is sound, 78 with every problem listed when not. */
export const checkCommand: Command = {
  description: "Load and validate everything run would, starting nothing",
  async run(args: string[], context: CommandContext): Promise<number> {
    if (printHelp("check", args, CHECK_USAGE)) return 0;
    try {
      const config = await app.load(context.source);
      const errors: ConfigError[] = [...validateLogging(config)];
      readShutdownTimeout(config, errors);
      await attachListeners(config, new Signals(), app.loader, errors);
      const schedules = await resolveSchedules(config, app.loader, errors);
      errors.push(...await checkServers(config, app.loader));
      if (errors.length > 0) {
        throw errors.length === 1 ? errors[0] : new ConfigErrors(errors);
      }
      console.log(
        `aio: config OK: ${app.modules.length} module(s), ${
          readListenerSpecs(config).length
        } listener(s), ${schedules.length} schedule(s), ${
          sectionsWithPrefix(config, "server/").length
        } server(s)`,
      );
      return 0;
    } finally {
      await app.clear();
    }
  },
};
