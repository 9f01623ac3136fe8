/**
 * What `aio stop` and `aio status` act on: the pidfile (`--pidfile`, else
 * the config's `[aio] pidfile`, else the default) and the daemon's
 * `shutdown_timeout`, read from the config file alone: they import no
 * module, so a broken or slow module cannot keep anyone from stopping aio.
 *
 * @module
 */

import {
  buildConfig,
  type ConfigSourceOptions,
  readUserConfig,
} from "../config/layers.ts";
import { Problems } from "../config/problems.ts";
import { type AppSettings, readAppSettings } from "../settings.ts";
import { readProc, readProcLink } from "./_proc.ts";

/** The settings `aio stop` and `aio status` need, from the user config (modules not imported). */
export function daemonSettings(
  source: ConfigSourceOptions,
): AppSettings {
  // Problems with other options are `aio check`'s business; a bad value
  // here falls back to its default.
  return readAppSettings(buildConfig(readUserConfig(source)), new Problems());
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
