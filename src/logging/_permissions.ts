/**
 * What the log files of a config need from Deno's permissions, for
 * `aio permissions`: write access to each file a used handler opens; its
 * directory too when it rotates (old files are renamed and deleted
 * there), read access to the path when it is watched (a stat per turn),
 * and write access to the topmost directory aio has to create.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import type { ConfigParser } from "../config/config_parser.ts";
import { withLoggingConf } from "./_logging.ts";
import { planLogging } from "./_plan.ts";

/** Absolute paths to grant for the log files `config` (and `logging.conf`) opens. */
export function logFilePermissions(
  config: ConfigParser,
): { read: string[]; write: string[] } {
  const read: string[] = [];
  const write: string[] = [];
  let layered = config;
  try {
    layered = withLoggingConf(config);
  } catch {
    // A bad logging.conf is `aio check`'s to report; it grants nothing.
  }
  const { plan } = planLogging(layered);
  for (const key of plan.usedHandlers) {
    const handler = plan.handlers.get(key)!;
    if (handler.kind !== "file") continue;
    const path = resolve(handler.file.path);
    if (handler.file.rotation.kind === "watched") read.push(path);
    if (
      handler.file.rotation.kind === "size" ||
      handler.file.rotation.kind === "time"
    ) {
      read.push(dirname(path));
      write.push(dirname(path));
    } else {
      write.push(path);
    }
    // aio creates a missing directory: the topmost one it must create.
    const missing = topmostMissing(dirname(path));
    if (missing !== undefined) write.push(missing);
  }
  return { read, write };
}

function topmostMissing(directory: string): string | undefined {
  let missing: string | undefined;
  for (let path = directory; dirname(path) !== path; path = dirname(path)) {
    try {
      Deno.statSync(path);
      return missing;
    } catch {
      missing = path;
    }
  }
  return missing;
}
