/**
 * Replacing a file atomically: readers see the old content or the new,
 * never half of either, and a failed write leaves the old file as it was.
 *
 * @module
 */

import { processAlive } from "../process_alive.ts";

/** Options for {@linkcode writeFileAtomicSync}. */
export interface AtomicWriteOptions {
  /**
   * The mode of a file that does not exist yet (default `0o644`; the umask
   * applies). An existing file keeps its own mode.
   */
  mode?: number;
}

/** Thrown when the target exists but is read-only: replacing it would bypass its mode. */
export class ReadOnlyFileError extends Error {
  /** Creates the error for `path`. */
  constructor(path: string) {
    super(`${path} is read-only`);
    this.name = "ReadOnlyFileError";
  }
}

const encoder = new TextEncoder();

/**
 * Writes `data` to `path` through a temporary file in the same directory:
 * write, fsync, copy the old file's mode (and owner, where allowed), rename
 * over the target, fsync the directory. A symlink is followed, so the file
 * it points to is replaced and the link kept. A read-only target is refused
 * with {@linkcode ReadOnlyFileError}. On any failure the temporary file is
 * removed and the error rethrown; the target is untouched.
 *
 * @param path The file to create or replace.
 * @param data The new content (a string is written as UTF-8).
 * @param options The mode for a new file.
 *
 * @example
 * ```ts
 * import { writeFileAtomicSync } from "./atomic_write.ts";
 * const dir = Deno.makeTempDirSync();
 * writeFileAtomicSync(`${dir}/app.conf`, "[aio]\nlog_level = DEBUG\n");
 * console.log(Deno.readTextFileSync(`${dir}/app.conf`));
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export function writeFileAtomicSync(
  path: string,
  data: Uint8Array | string,
  options: AtomicWriteOptions = {},
): void {
  const target = resolveSymlink(path);
  const existing = statIfExists(target);
  if (existing?.isDirectory) {
    throw new Deno.errors.IsADirectory(`${path} is a directory`);
  }
  if (existing) checkWritable(target, existing);
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  const directory = dirname(target);
  // The writer's pid in the name lets a later write clear what a killed
  // writer left behind, and only that.
  const temporary = `${directory}/.${basename(target)}.${Deno.pid}.${
    crypto.randomUUID().slice(0, 8)
  }.tmp`;
  let file: Deno.FsFile | undefined;
  try {
    file = Deno.openSync(temporary, {
      write: true,
      createNew: true,
      mode: existing ? 0o600 : options.mode ?? 0o644,
    });
    writeAll(file, bytes);
    file.syncSync();
    if (existing?.mode != null) {
      Deno.chmodSync(temporary, existing.mode & 0o7777);
      keepOwner(temporary, existing);
    }
    file.close();
    file = undefined;
    Deno.renameSync(temporary, target);
  } catch (error) {
    try {
      file?.close();
    } catch {
      // Already closed: nothing to release.
    }
    try {
      Deno.removeSync(temporary);
    } catch {
      // Never created, or already renamed away.
    }
    throw error;
  }
  syncDirectory(directory);
  removeOrphanedTemporaries(directory, basename(target));
}

/**
 * Removes the temporary files of writers to `name` that died before their
 * rename (killed, say). A live writer's file is left alone.
 */
function removeOrphanedTemporaries(directory: string, name: string): void {
  const prefix = `.${name}.`;
  try {
    for (const entry of Deno.readDirSync(directory)) {
      if (!entry.name.startsWith(prefix) || !entry.name.endsWith(".tmp")) {
        continue;
      }
      const match = /^(\d+)\.[0-9a-f]{8}\.tmp$/.exec(
        entry.name.slice(prefix.length),
      );
      if (!match) continue;
      const pid = Number(match[1]);
      if (pid === Deno.pid || processAlive(pid)) continue;
      try {
        Deno.removeSync(`${directory}/${entry.name}`);
      } catch {
        // Gone already, or not ours to remove.
      }
    }
  } catch {
    // An unreadable directory only means nothing is cleaned up this time.
  }
}

/** A short reason for a failed write, for one-line error messages. */
export function describeWriteError(error: unknown): string {
  if (error instanceof ReadOnlyFileError) return "the file is read-only";
  if (error instanceof Deno.errors.NotFound) return "no such directory";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.IsADirectory) return "is a directory";
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0];
}

function resolveSymlink(path: string): string {
  try {
    return Deno.realPathSync(path);
  } catch {
    // Not there yet: the write creates it.
    return path;
  }
}

function statIfExists(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.statSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

function checkWritable(path: string, info: Deno.FileInfo): void {
  // Root may open anything, so the mode bits are checked as well as access.
  if (info.mode != null && (info.mode & 0o222) === 0) {
    throw new ReadOnlyFileError(path);
  }
  try {
    Deno.openSync(path, { write: true }).close();
  } catch (error) {
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new ReadOnlyFileError(path);
    }
    throw error;
  }
}

function keepOwner(path: string, info: Deno.FileInfo): void {
  if (info.uid == null || info.gid == null) return;
  try {
    Deno.chownSync(path, info.uid, info.gid);
  } catch {
    // Only root may give a file away; anyone else already owns what they wrote.
  }
}

function writeAll(file: Deno.FsFile, bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.length) {
    written += file.writeSync(bytes.subarray(written));
  }
}

function syncDirectory(directory: string): void {
  try {
    const handle = Deno.openSync(directory, { read: true });
    try {
      handle.syncSync();
    } finally {
      handle.close();
    }
  } catch {
    // Not every platform can open or sync a directory; the rename is done.
  }
}

function dirname(path: string): string {
  const slash = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  if (slash < 0) return ".";
  return slash === 0 ? "/" : path.slice(0, slash);
}

function basename(path: string): string {
  const slash = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return path.slice(slash + 1);
}
