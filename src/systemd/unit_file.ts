/**
 * A systemd service unit for an aio app, as text: `Type=notify`, reload
 * by SIGHUP, stop bounded by aio's own, a watchdog, restarts that skip
 * config errors, and a sandbox.
 *
 * @module
 */

import {
  commandArg,
  commandPath,
  listWord,
  type Piece,
  plainValue,
} from "./unit_escape.ts";

/** The exit code of a config error (sysexits' EX_CONFIG): restarting cannot fix it. */
export const CONFIG_ERROR_EXIT = 78;
/** Seconds systemd waits past aio's own stop bound (shutdown_timeout + 1 s) before SIGKILL. */
export const STOP_MARGIN_S = 4;

/** A path systemd must leave writable; `optional` ones may be missing at start. */
export interface WritablePath {
  /** The path. */
  path: string;
  /** True: prefixed `-`, so a missing path does not fail the start. */
  optional: boolean;
}

/** What {@linkcode renderServiceUnit} writes. */
export interface ServiceUnit {
  /** The unit's name, without `.service`; also its RuntimeDirectory and log identifier. */
  name: string;
  /** The one-line description. */
  description: string;
  /** A user unit (`systemctl --user`): `WantedBy=default.target`, no network target. */
  user: boolean;
  /** `User=` for a system unit, if it should not run as root. */
  runAs?: string;
  /** Comment lines at the top. */
  comments: string[];
  /** The working directory. */
  workingDirectory: string;
  /** `Environment=` variables. */
  environment: Record<string, string>;
  /** The executable `ExecStart=` runs. */
  executable: string;
  /** Its arguments, one array of pieces each. */
  execArgs: Piece[][];
  /** `NotifyAccess=`: `main` when aio itself sends, `all` when a helper binary does. */
  notifyAccess: "main" | "all";
  /** `[aio] shutdown_timeout`, in seconds. */
  shutdownTimeoutS: number;
  /** `WatchdogSec=`; 0 for none. */
  watchdogS: number;
  /** `ReadWritePaths=`. */
  writable: WritablePath[];
}

/**
 * The unit file text.
 *
 * @example
 * ```ts
 * import { renderServiceUnit } from "./unit_file.ts";
 * const text = renderServiceUnit({
 *   name: "shop",
 *   description: "aio app shop",
 *   user: false,
 *   comments: [],
 *   workingDirectory: "/srv/shop",
 *   environment: {},
 *   executable: "/usr/bin/deno",
 *   execArgs: [["run"], ["/srv/shop/main.ts"]],
 *   notifyAccess: "main",
 *   shutdownTimeoutS: 10,
 *   watchdogS: 30,
 *   writable: [],
 * });
 * console.log(text.includes("TimeoutStopSec=15\n")); // true
 * ```
 */
export function renderServiceUnit(unit: ServiceUnit): string {
  const lines: string[] = unit.comments.map((line) => `# ${line}`.trimEnd());
  lines.push("[Unit]", `Description=${plainValue(unit.description)}`);
  if (!unit.user) {
    lines.push("Wants=network-online.target", "After=network-online.target");
  }
  lines.push(
    "",
    "[Service]",
    "Type=notify",
    `NotifyAccess=${unit.notifyAccess}`,
    `ExecStart=${
      [commandPath(unit.executable), ...unit.execArgs.map(commandArg)].join(" ")
    }`,
    // aio reloads on SIGHUP (checks the new config first; a bad one leaves
    // the old app running) and tells systemd with RELOADING=1 ... READY=1.
    "ExecReload=/bin/kill -HUP $MAINPID",
    `WorkingDirectory=${plainValue(unit.workingDirectory)}`,
  );
  const environment = Object.entries(unit.environment);
  if (environment.length > 0) {
    lines.push(
      `Environment=${
        environment.map(([key, value]) => listWord([`${key}=${value}`]))
          .join(" ")
      }`,
    );
  }
  if (!unit.user && unit.runAs) lines.push(`User=${plainValue(unit.runAs)}`);
  lines.push(
    // SIGTERM to aio alone: it stops its own workers within shutdown_timeout.
    "KillMode=mixed",
    `TimeoutStopSec=${stopTimeoutS(unit.shutdownTimeoutS)}`,
  );
  if (unit.watchdogS > 0) lines.push(`WatchdogSec=${unit.watchdogS}`);
  lines.push(
    "Restart=on-failure",
    "RestartSec=2",
    // A config error (exit 78) will not fix itself by restarting.
    `RestartPreventExitStatus=${CONFIG_ERROR_EXIT}`,
    `RuntimeDirectory=${plainValue(unit.name)}`,
    `SyslogIdentifier=${plainValue(unit.name)}`,
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    "PrivateTmp=yes",
  );
  if (unit.writable.length > 0) {
    lines.push(
      `ReadWritePaths=${
        unit.writable.map(({ path, optional }) =>
          listWord([optional ? `-${path}` : path])
        ).join(" ")
      }`,
    );
  }
  lines.push(
    "",
    "[Install]",
    `WantedBy=${unit.user ? "default.target" : "multi-user.target"}`,
  );
  return lines.join("\n") + "\n";
}

/** `TimeoutStopSec=`: aio's stop ends by shutdown_timeout + 1 s; systemd's SIGKILL waits a margin past that. */
export function stopTimeoutS(shutdownTimeoutS: number): number {
  return Math.ceil(shutdownTimeoutS) + 1 + STOP_MARGIN_S;
}
