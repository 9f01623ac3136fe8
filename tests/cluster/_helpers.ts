// Shared by the cluster tests: specs from config text, log capture, and
// bounded waits on events.

import { configure, type LogRecord, reset } from "@logtape/logtape";
import { ConfigParser } from "../../src/config/config_parser.ts";
import { Problems } from "../../src/config/problems.ts";
import { type ClusterSpec, readClusterSpec } from "../../src/cluster/config.ts";
import type {
  ClusterConnection,
  ClusterState,
} from "../../src/cluster/connection.ts";

/** A checked spec for `[aio/cluster]` with `url` and any other lines. */
export function clusterSpec(urls: string | string[], extra = ""): ClusterSpec {
  const list = Array.isArray(urls) ? urls : [urls];
  const text = `[aio/cluster]\nurl =\n${
    list.map((url) => `    ${url}\n`).join("")
  }${extra}\n`;
  const problems = new Problems();
  const spec = readClusterSpec(
    new ConfigParser().readString(text, "test.conf"),
    problems,
  );
  if (!spec) throw problems.errors[0];
  return spec;
}

/** aio's log records, captured until `stop()`. */
export interface CapturedLogs {
  readonly records: LogRecord[];
  /** The rendered messages of the records at `level` (all levels by default). */
  messages(level?: LogRecord["level"]): string[];
  stop(): Promise<void>;
}

/** Sends every `aio` record to a list; `stop()` restores no logging. */
export async function captureLogs(): Promise<CapturedLogs> {
  const records: LogRecord[] = [];
  await configure({
    sinks: { buffer: (record) => records.push(record) },
    loggers: [
      { category: ["aio"], sinks: ["buffer"], lowestLevel: "debug" },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
    ],
    reset: true,
  });
  return {
    records,
    messages(level) {
      return records.filter((record) => !level || record.level === level)
        .map((record) =>
          record.message.map((part) =>
            typeof part === "string" ? part : String(part)
          ).join("")
        );
    },
    stop: () => reset(),
  };
}

/** Resolves once `connection` is in `state`; rejects after `timeoutMs`. */
export function waitForState(
  connection: ClusterConnection,
  state: ClusterState,
  timeoutMs = 10_000,
): Promise<void> {
  if (connection.status.state === state) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(
        new Error(
          `still ${connection.status.state}, not ${state}, after ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    const stop = connection.onStatus((status) => {
      if (status.state !== state) return;
      clearTimeout(timer);
      stop();
      resolve();
    });
  });
}

/** Polls `check` every 10 ms until true; rejects after `timeoutMs` with `what`. */
export async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!await check()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A promise with its resolve function. */
export function deferred<T = void>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
} {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => resolve = r);
  return { promise, resolve };
}
