/**
 * Logging costs: a disabled `debug` call, and an enabled INFO line to a
 * file, through aio's FileHandler and through LogTape sinks configured by
 * hand, in the same run. Run with `deno bench -A bench/logging_bench.ts`;
 * figures in bench/README.md.
 */

import {
  configure,
  getLogger as getLogTapeLogger,
  getStreamSink,
  getTextFormatter,
  reset,
  type Sink,
} from "@logtape/logtape";
import { join } from "node:path";
import { buildConfig } from "../src/config/layers.ts";
import { configureLogging, getLogger, resetLogging } from "../src/logging.ts";

const dir = await Deno.makeTempDir({ prefix: "aio_logging_bench_" });
const encoder = new TextEncoder();

function aioConfig(path: string) {
  return buildConfig({
    text: [
      "[aio]",
      "log_handlers = file",
      "[handler_file]",
      "class = FileHandler",
      `args = (${JSON.stringify(path)}, "w")`,
      "formatter = simpleFormatter",
    ].join("\n"),
    source: "bench.conf",
  });
}

type Mode = "aio" | "logtape-writesync" | "logtape-stream";
let mode: Mode | undefined;

// Each LogTape setup is global, so a bench switches to its own on its first
// call (during warm-up) and awaits nothing after that.
async function use(next: Mode): Promise<void> {
  if (mode === next) return;
  mode = next;
  await resetLogging();
  await reset();
  if (next === "aio") {
    await configureLogging(aioConfig(join(dir, "aio.log")));
    return;
  }
  const formatter = getTextFormatter();
  let sink: Sink;
  if (next === "logtape-writesync") {
    const file = Deno.openSync(join(dir, "writesync.log"), {
      write: true,
      create: true,
      truncate: true,
    });
    const writeSyncSink = ((record) => {
      const data = encoder.encode(formatter(record));
      let offset = 0;
      while (offset < data.length) {
        offset += file.writeSync(data.subarray(offset));
      }
    }) as Sink & Disposable;
    writeSyncSink[Symbol.dispose] = () => file.close();
    sink = writeSyncSink;
  } else {
    const file = Deno.openSync(join(dir, "stream.log"), {
      write: true,
      create: true,
      truncate: true,
    });
    sink = getStreamSink(file.writable, { formatter });
  }
  await configure({
    sinks: { file: sink },
    loggers: [
      { category: [], sinks: ["file"], lowestLevel: "info" },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: [] },
    ],
    reset: true,
  });
}

await use("aio");
const logger = getLogger("aio.bench");
const logTapeLogger = getLogTapeLogger(["aio", "bench"]);
let i = 0;

Deno.bench({
  name: "disabled debug, plain message",
  group: "disabled",
  baseline: true,
  fn() {
    logger.debug("Not shown");
  },
});

Deno.bench({
  name: "disabled debug, with properties",
  group: "disabled",
  fn() {
    logger.debug("Not shown {i}", { i });
  },
});

Deno.bench({
  name: "disabled debug, LogTape's logger directly",
  group: "disabled",
  fn() {
    logTapeLogger.debug("Not shown");
  },
});

Deno.bench({
  name: "INFO line, aio FileHandler (sync write)",
  group: "enabled",
  baseline: true,
  async fn() {
    await use("aio");
    logger.info("Request {i} served", { i: i++ });
  },
});

Deno.bench({
  name: "INFO line, LogTape writeSync sink by hand",
  group: "enabled",
  async fn() {
    await use("logtape-writesync");
    logTapeLogger.info("Request {i} served", { i: i++ });
  },
});

Deno.bench({
  name: "INFO line, LogTape getStreamSink (async writes)",
  group: "enabled",
  async fn() {
    await use("logtape-stream");
    logTapeLogger.info("Request {i} served", { i: i++ });
  },
});

globalThis.addEventListener("unload", () => {
  // Open files are no obstacle to removing their directory on Unix.
  Deno.removeSync(dir, { recursive: true });
});
