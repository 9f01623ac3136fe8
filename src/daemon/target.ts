/**
 * What `aio stop`, `aio status` and `aio reload` act on: the pidfile
 * (`--pidfile`, else the config's `[aio] pidfile`, else the default) and the
 * daemon's `shutdown_timeout`, read from the config file alone: they import
 * no module, and a config that does not parse (or holds a bad value) is a
 * warning, not a failure, so neither a broken module nor a broken config
 * can keep anyone from stopping aio.
 *
 * @module
 */

import type { ConfigParser } from "../config/config_parser.ts";
import { ConfigError } from "../config/errors.ts";
import {
  buildConfig,
  type ConfigSourceOptions,
  readUserConfig,
} from "../config/layers.ts";
import { Problems } from "../config/problems.ts";
import { readAppSettings } from "../settings.ts";
import { readProc, readProcLink } from "./_proc.ts";

/** What the command line gave: those options are not read from the config. */
export interface DaemonSettingsOptions {
  /** `--pidfile`. */
  pidfile?: string;
  /** `--timeout`, in ms. */
  shutdownTimeoutMs?: number;
  /** Whether the command needs `shutdown_timeout` at all (`aio status` does not); default true. */
  needsTimeout?: boolean;
}

/** The pidfile and `shutdown_timeout` a daemon command acts on. */
export interface DaemonSettings {
  /** The pidfile (relative to the working directory). */
  pidfile: string;
  /** `[aio] shutdown_timeout` (or `--timeout`), in ms. */
  shutdownTimeoutMs: number;
  /**
   * One line, `aio: warning: ...`, naming the config problem these values
   * went around (the defaults, or the flags, stand in for what could not be
   * read); undefined when the config was sound.
   */
  warning?: string;
  /** The problem the warning names first. */
  problem?: ConfigError;
}

/**
 * The settings `aio stop`, `aio status` and `aio reload` need, from the
 * user config (modules not imported), for those not given on the command
 * line. A config that does not parse is read as far as it parses (as
 * CPython's configparser keeps the lines it could read), a bad value
 * falls back to its default, and either is said in `warning`. Only a config
 * file named with `-c` that does not exist is an error.
 *
 * @throws {ConfigError} when the config file named does not exist
 */
export function daemonSettings(
  source: ConfigSourceOptions,
  given: DaemonSettingsOptions = {},
): DaemonSettings {
  const needsTimeout = given.needsTimeout ?? true;
  const needed = [
    ...(given.pidfile === undefined ? ["pidfile"] : []),
    ...(needsTimeout && given.shutdownTimeoutMs === undefined
      ? ["shutdown_timeout"]
      : []),
  ];
  const { config, problems } = needed.length > 0
    ? readLeniently(source)
    : { config: buildConfig(undefined), problems: [] };
  // Problems with other options are `aio check`'s business.
  const settingsProblems = new Problems();
  const settings = readAppSettings(config, settingsProblems);
  for (const error of settingsProblems.errors) {
    if (needed.some((option) => isAbout(config, option, error))) {
      problems.push(error);
    }
  }
  const pidfile = given.pidfile ?? settings.pidfile;
  const shutdownTimeoutMs = given.shutdownTimeoutMs ??
    settings.shutdownTimeoutMs;
  if (problems.length === 0) return { pidfile, shutdownTimeoutMs };
  const more = problems.length > 1
    ? ` (and ${problems.length - 1} more; aio check lists them)`
    : "";
  // What the config was read for, as it now stands.
  const used = needed.map((option) =>
    option === "pidfile"
      ? `pidfile ${pidfile}`
      : `shutdown_timeout ${shutdownTimeoutMs / 1000} s`
  );
  return {
    pidfile,
    shutdownTimeoutMs,
    problem: problems[0],
    warning: `aio: warning: ${problems[0].message}${more}; going on with ${
      used.join(" and ")
    }`,
  };
}

/**
 * The built-in defaults and the user config, read as far as it parses;
 * each problem on the way is returned, not thrown.
 */
function readLeniently(
  source: ConfigSourceOptions,
): { config: ConfigParser; problems: ConfigError[] } {
  const config = buildConfig(undefined);
  let user;
  try {
    user = readUserConfig(source);
  } catch (error) {
    // A file named that is not there names nothing to act on.
    if (!(error instanceof ConfigError) || isMissingFile(error)) throw error;
    return { config, problems: [error] };
  }
  if (user === undefined) return { config, problems: [] };
  try {
    // What parsed before and after a bad line is kept, as in CPython.
    config.readString(user.text, user.source);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { config, problems: [error] };
  }
  return { config, problems: [] };
}

function isMissingFile(error: ConfigError): boolean {
  return error.kind === "ReadError" &&
    error.cause instanceof Deno.errors.NotFound;
}

/** Whether `error` is about `[aio] option` (reported at its line). */
function isAbout(
  config: ConfigParser,
  option: string,
  error: ConfigError,
): boolean {
  if (!config.has("aio", option)) return false;
  const { file, line } = config.source("aio", option);
  return error.source === file && error.line === line;
}

/** What the daemon with `pid` runs: its `-c FILE` (absolute), from Linux's `/proc`; undefined elsewhere. */
export function daemonConfigFile(pid: number): string | undefined {
  const text = readProc(`/proc/${pid}/cmdline`);
  if (text === undefined) return undefined;
  const argv = text.split("\0");
  // aio's own `-c FILE` comes after the module (the launcher gives the
  // daemon a URL) and before `run`; deno's `-c` names a deno.json.
  const module = argv.findIndex((arg, index) =>
    index > 0 && /^[a-z][a-z0-9+.-]*:/i.test(arg)
  );
  const run = argv.lastIndexOf("run");
  let file: string | undefined;
  for (let index = module + 1; index < (run < 0 ? argv.length : run); index++) {
    const arg = argv[index];
    if (arg === "-c" || arg === "--config") file = argv[index + 1];
    else if (arg.startsWith("--config=")) file = arg.slice("--config=".length);
  }
  if (file === undefined) return undefined;
  if (file.startsWith("/")) return file;
  const cwd = readProcLink(`/proc/${pid}/cwd`);
  return cwd === undefined ? undefined : `${cwd}/${file}`;
}
