/**
 * `aio status`: whether the app that `aio run -d` started runs, its pid,
 * uptime and config file, and where its cluster connection stands. Exit codes as LSB init scripts' `status`: 0
 * running, 1 not running but the pidfile is there (stale), 3 not running.
 *
 * @module
 */

import { PidfileProbe, staleReason } from "../daemon/pidfile.ts";
import {
  formatClusterStatus,
  readClusterStatus,
} from "../daemon/cluster_status.ts";
import { daemonConfigFile, daemonSettings } from "../daemon/target.ts";
import {
  readWorkersState,
  type WorkersState,
} from "../daemon/workers_state.ts";
import type { Command, CommandContext } from "./types.ts";
import { parseArgs } from "./_args.ts";
import { COMMAND_SPECS } from "./specs.ts";

/** `aio status`'s exit codes (LSB's for `status`). */
export const StatusCode = {
  /** Running. */
  RUNNING: 0,
  /** Not running, and the pidfile is still there. */
  DEAD_WITH_PIDFILE: 1,
  /** Not running. */
  NOT_RUNNING: 3,
} as const;

/** The `status` command. */
export const statusCommand: Command = {
  description: COMMAND_SPECS.status.summary,
  async run(args: string[], context: CommandContext): Promise<number> {
    const parsed = parseArgs(COMMAND_SPECS.status, args);
    // A broken config is a warning here: the daemon's state is still told.
    const settings = daemonSettings(context.source, {
      pidfile: parsed.value("--pidfile"),
      needsTimeout: false,
    });
    if (settings.warning) console.error(settings.warning);
    const path = settings.pidfile;
    const probe = await PidfileProbe.open(path);
    probe.close();
    const { state } = probe;
    if (state.state === "absent") {
      console.log(`aio: not running (no pidfile at ${path})`);
      return StatusCode.NOT_RUNNING;
    }
    if (state.state === "stale") {
      console.log(`aio: not running (${staleReason(path, state.pid)})`);
      return StatusCode.DEAD_WITH_PIDFILE;
    }
    const parts = [`pid ${state.pid ?? "unknown (starting)"}`];
    if (state.since) {
      parts.push(`up ${formatUptime(Date.now() - state.since.getTime())}`);
    }
    const config = state.pid === undefined
      ? undefined
      : daemonConfigFile(state.pid);
    parts.push(`config ${config ?? "unknown"}`);
    console.log(`aio: running, ${parts.join(", ")} (${path})`);
    const workers = readWorkersState(path, state.pid);
    if (workers) console.log(formatWorkers(workers, Date.now()));
    const cluster = readClusterStatus(path, state.pid);
    if (cluster) console.log(`aio: ${formatClusterStatus(cluster)}`);
    return StatusCode.RUNNING;
  },
};

/**
 * The supervisor and its workers, one line each: pid, uptime, restarts and
 * resident memory (as each last reported it).
 *
 * @example
 * ```ts
 * import { formatWorkers } from "./status.ts";
 * const since = new Date(0).toISOString();
 * console.log(formatWorkers({
 *   pid: 10, since, updatedAt: since, rss: 40 * 2 ** 20,
 *   workers: [{ slot: 1, pid: 11, state: "running", since, restarts: 0, owner: true }],
 * }, 65_000));
 * // supervisor  pid 10  up 1m 5s  rss 40.0 MiB
 * // worker 1    pid 11  up 1m 5s  restarts 0  rss ?  (owner)
 * ```
 */
export function formatWorkers(state: WorkersState, now: number): string {
  const up = (since: string) => formatUptime(now - Date.parse(since));
  const lines = [
    `supervisor  pid ${state.pid}  up ${up(state.since)}  rss ${
      formatBytes(state.rss)
    }`,
  ];
  for (const worker of state.workers) {
    const notes = [
      worker.owner ? "owner" : "",
      worker.state === "running" ? "" : worker.state,
    ].filter((note) => note !== "");
    lines.push(
      `${`worker ${worker.slot}`.padEnd(10)}  pid ${worker.pid}  up ${
        up(worker.since)
      }  restarts ${worker.restarts}  rss ${formatBytes(worker.rss)}${
        notes.length ? `  (${notes.join(", ")})` : ""
      }`,
    );
  }
  return lines.join("\n");
}

function formatBytes(bytes: number | undefined): string {
  return bytes === undefined ? "?" : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/**
 * A duration as `3d 4h 5m 6s`, largest unit first, zero units left out.
 *
 * @example
 * ```ts
 * import { formatUptime } from "./status.ts";
 * formatUptime(3_723_000); // "1h 2m 3s"
 * ```
 */
export function formatUptime(ms: number): string {
  let rest = Math.max(0, Math.floor(ms / 1000));
  const parts: string[] = [];
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["m", 60]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  if (rest > 0 || parts.length === 0) parts.push(`${rest}s`);
  return parts.join(" ");
}
