/**
 * Starting one worker process: this same aio (`deno run` with the
 * supervisor's own permissions, plus `--unstable-net`, which SO_REUSEPORT
 * needs), its output on the supervisor's, its marker in the environment,
 * and systemd's variables left out: only the supervisor talks to systemd.
 *
 * @module
 */

import { AioError } from "../errors.ts";
import {
  aioCommand,
  type PermissionCandidates,
} from "../daemon/command_line.ts";
import { granted } from "../daemon/_proc.ts";
import { runningUnderDeno } from "../deno_path.ts";
import { WORKER_ENV, type WorkerMarker } from "./messages.ts";

/** The flag Deno needs for `reusePort` (and so for workers sharing a port). */
export const UNSTABLE_NET_FLAG = "--unstable-net";

/** Variables a worker does not get (or gets empty where the supervisor cannot drop them). */
const DROPPED_ENV = ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"];

/**
 * The program and arguments that run `aio CLI_ARGS` as a worker (or a
 * check) of this supervisor: its own `deno run` flags (or the permissions
 * it has, among `candidates`), with `--unstable-net`.
 *
 * @example
 * ```ts ignore
 * import { workerCommand } from "./spawn.ts";
 * workerCommand(["-c", "/srv/app/aio.conf", "run"]);
 * // ["/usr/bin/deno", "run", "-A", "--unstable-net", "file:///.../cli.ts", "-c", "/srv/app/aio.conf", "run"]
 * ```
 */
export function workerCommand(
  cliArgs: readonly string[],
  candidates: PermissionCandidates = {},
): string[] {
  const command = aioCommand(cliArgs, candidates);
  if (!runningUnderDeno()) return command;
  // [deno, run, ...flags, module, ...cliArgs]
  const flagsEnd = command.length - cliArgs.length - 1;
  const flags = command.slice(2, flagsEnd);
  if (!flags.some((flag) => /^--unstable(-net)?$/.test(flag))) {
    command.splice(2, 0, UNSTABLE_NET_FLAG);
  }
  return command;
}

/**
 * Throws an {@linkcode AioError} naming the flag when this process cannot
 * start workers: it must run `deno` (`--allow-run`) and let workers read
 * their marker (`--allow-env`).
 */
export function checkCanSpawn(program: string): void {
  if (!granted({ name: "run", command: program })) {
    throw new AioError(
      `workers need --allow-run=${program} (the supervisor starts each worker with it)`,
    );
  }
  if (!granted({ name: "env", variable: WORKER_ENV })) {
    throw new AioError(
      `workers need --allow-env=${WORKER_ENV} (each worker reads its marker from it)`,
    );
  }
}

/** Options for {@linkcode spawnWorker}. */
export interface SpawnOptions {
  /** The command from {@linkcode workerCommand}. */
  command: readonly string[];
  /** What the worker is told. */
  marker: WorkerMarker;
}

/** Starts a worker: its stdout and stderr are the supervisor's, its stdin is empty. */
export function spawnWorker(options: SpawnOptions): Deno.ChildProcess {
  const [program, ...args] = options.command;
  return new Deno.Command(program, {
    args,
    ...childEnv({ [WORKER_ENV]: JSON.stringify(options.marker) }),
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
}

/**
 * The environment of a child: the supervisor's, without systemd's
 * variables. With the whole environment readable they are left out;
 * otherwise they are set empty, which the notifier reads as unset.
 */
export function childEnv(
  extra: Record<string, string>,
): { env: Record<string, string>; clearEnv?: boolean } {
  if (granted({ name: "env" })) {
    const env = Deno.env.toObject();
    for (const name of DROPPED_ENV) delete env[name];
    return { env: { ...env, ...extra }, clearEnv: true };
  }
  const blank = Object.fromEntries(DROPPED_ENV.map((name) => [name, ""]));
  return { env: { ...blank, ...extra } };
}
