/**
 * A {@linkcode Supervisor} for a prepared (and checked) plan: the workers'
 * and the check's command lines, the `port = 0` servers, `[aio/health]`, and
 * how a reload reads the settings again.
 *
 * @module
 */

import type { Plan } from "../prepare.ts";
import type { PermissionCandidates } from "../daemon/command_line.ts";
import type { SystemdNotifier } from "../systemd/notify.ts";
import { CONTROL_HOST } from "./control_server.ts";
import { sharedPortZero, sharesPort } from "./roles.ts";
import { checkCanSpawn, workerCommand } from "./spawn.ts";
import { Supervisor, type SupervisorSettings } from "./supervisor.ts";

/** What {@linkcode supervisorFor} needs besides the plan. */
export interface SupervisorPlanOptions {
  /** How many workers. */
  workers: number;
  /** aio's command line for a child, up to and including `run` (`-c FILE ... run`). */
  runArgs: readonly string[];
  /** What the children may need granted (without `-A`). */
  candidates: PermissionCandidates;
  /** The pidfile (absolute), when this aio holds one. */
  pidfile?: string;
  /** The settings a reload applies, read from the config again. */
  readSettings: () => SupervisorSettings;
  /** Told the settings whenever a reload changes them. */
  onSettings?: (settings: SupervisorSettings) => void;
  /** The notifier `aio run` opened when `NOTIFY_SOCKET` is set. */
  notifier?: SystemdNotifier;
}

/**
 * The supervisor of `plan`'s workers, not yet started. Throws an
 * `AioError` when this process cannot start workers.
 *
 * @example
 * ```ts ignore
 * import { supervisorFor } from "./from_plan.ts";
 * const supervisor = supervisorFor(plan, { workers: 2, runArgs: ["run"], candidates: {}, readSettings });
 * await supervisor.start();
 * ```
 */
export function supervisorFor(
  plan: Plan,
  options: SupervisorPlanOptions,
): Supervisor {
  const runArgs = [...options.runArgs];
  const checkArgs = [...runArgs.slice(0, -1), "check"];
  const candidates: PermissionCandidates = {
    ...options.candidates,
    net: [...options.candidates.net ?? [], CONTROL_HOST],
  };
  const command = workerCommand(runArgs, candidates);
  checkCanSpawn(command[0]);
  return new Supervisor({
    workers: options.workers,
    shutdownTimeoutMs: plan.settings.shutdownTimeoutMs,
    command,
    checkCommand: workerCommand(checkArgs, candidates),
    portZero: sharedPortZero(plan.servers),
    sharedServers: plan.servers.filter(sharesPort).length,
    pidfile: options.pidfile,
    health: plan.health,
    notifier: options.notifier,
    readSettings: options.readSettings,
    onSettings: options.onSettings,
    summary: summary(plan),
  });
}

/** `2 servers, 1 schedule`: what `STATUS=` says besides the workers. */
function summary(plan: Plan): string {
  const servers = plan.servers.length;
  const schedules = plan.schedules.length;
  return `${servers} server${servers === 1 ? "" : "s"}, ${schedules} schedule${
    schedules === 1 ? "" : "s"
  }`;
}
