/**
 * A child process for logging_sigterm_test.ts: configures a FileHandler on
 * the file named in argv, logs argv[1] lines, says "ready" on stdout, and on
 * SIGTERM logs once more, flushes and exits.
 */

import { buildConfig } from "../../src/config/layers.ts";
import {
  configureLogging,
  flushLogging,
  getLogger,
} from "../../src/logging.ts";

const [path, count] = Deno.args;
const config = buildConfig({
  text: [
    "[aio]",
    "log_handlers = file",
    "[handler_file]",
    "class = FileHandler",
    `args = (${JSON.stringify(path)}, "w")`,
    "formatter = simpleFormatter",
  ].join("\n"),
  source: "child.conf",
});
await configureLogging(config);
const logger = getLogger("aio.child");
const keepAlive = setInterval(() => {}, 60_000);
Deno.addSignalListener("SIGTERM", async () => {
  logger.warn("Stopping on {signal}", { signal: "SIGTERM" });
  await flushLogging();
  clearInterval(keepAlive);
  Deno.exit(0);
});
for (let i = 0; i < Number(count); i++) logger.info("Line {i}", { i });
await Deno.stdout.write(new TextEncoder().encode("ready\n"));
