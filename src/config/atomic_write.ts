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

/**
 * Thrown when the target has more than one hard link: a rename would give
 * this name a new file and leave the other names on the old one.
 */
export class HardLinkError extends Error {
  /** How many names the file has. */
  readonly links: number;
  /** Creates the error for `path`, which has `links` names. */
  constructor(path: string, links: number) {
    super(`${path} has ${links} hard links`);
    this.name = "HardLinkError";
    this.links = links;
  }
}

const encoder = new TextEncoder();
const MAX_SYMLINKS = 40;

/**
 * Writes `data` to `path` through a temporary file in the same directory:
 * write, fsync, copy the old file's mode (and owner, where allowed), rename
 * over the target, fsync the directory. A symlink is followed, so the file
 * it points to is replaced (or, for a dangling link, created) and the link
 * kept. A read-only target is refused with {@linkcode ReadOnlyFileError},
 * and a file with several hard links with {@linkcode HardLinkError} (a
 * rename would split them; aio never edits in place, so a crash can never
 * leave half a file). On any failure the temporary file is removed and the
 * error rethrown; the target is untouched.
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
  const target = resolveSymlinks(path);
  const existing = statIfExists(target);
  if (existing?.isDirectory) {
    throw new Deno.errors.IsADirectory(`${path} is a directory`);
  }
  if (existing) checkWritable(target, existing);
  if (existing?.nlink != null && existing.nlink > 1) {
    throw new HardLinkError(path, existing.nlink);
  }
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

/** Short reasons for the errno codes a write meets on a full or odd filesystem. */
const WRITE_ERRNO: Record<string, string> = {
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EFBIG: "file too large",
  EROFS: "read-only file system",
  ELOOP: "too many levels of symbolic links",
};

/**
 * Linux's numbers for those codes: some of Deno's errors carry only
 * `(os error N)` in their message, with no `code`.
 */
const LINUX_ERRNO: Record<number, string> = {
  28: "ENOSPC",
  122: "EDQUOT",
  27: "EFBIG",
  30: "EROFS",
  40: "ELOOP",
};

/** A short reason for a failed write, for one-line error messages. */
export function describeWriteError(error: unknown): string {
  if (error instanceof ReadOnlyFileError) return "the file is read-only";
  if (error instanceof HardLinkError) {
    return `it has ${error.links} hard links, and replacing it would split them (aio writes a new file and renames it, never in place): remove the other links, or use a symlink`;
  }
  if (error instanceof Deno.errors.NotFound) return "no such directory";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.IsADirectory) return "is a directory";
  if (error instanceof Deno.errors.FilesystemLoop) {
    return WRITE_ERRNO.ELOOP;
  }
  const message = error instanceof Error ? error.message : String(error);
  let code = (error as { code?: unknown } | null)?.code;
  if (code === undefined && Deno.build.os === "linux") {
    code = LINUX_ERRNO[Number(/\(os error (\d+)\)/.exec(message)?.[1])];
  }
  if (typeof code === "string" && code in WRITE_ERRNO) return WRITE_ERRNO[code];
  return message.split("\n")[0];
}

/**
 * The file that writing to `path` must change: `path` itself, or where its
 * chain of symlinks ends, even when that file does not exist yet (a
 * dangling link's target is created, the link kept). Directories on the way
 * are left as written. Throws `Deno.errors.FilesystemLoop` after 40 links.
 *
 * @example
 * ```ts
 * import { resolveSymlinks } from "./atomic_write.ts";
 * const dir = Deno.makeTempDirSync();
 * Deno.symlinkSync("real.conf", `${dir}/aio.conf`);
 * console.log(resolveSymlinks(`${dir}/aio.conf`) === `${dir}/real.conf`); // true
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export function resolveSymlinks(path: string): string {
  let current = path;
  for (let hops = 0; hops <= MAX_SYMLINKS; hops++) {
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(current);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return current;
      throw error;
    }
    if (!info.isSymlink) return current;
    const link = Deno.readLinkSync(current);
    current = link.startsWith("/") || /^[A-Za-z]:[\\/]/.test(link)
      ? link
      : `${dirname(current)}/${link}`;
  }
  throw new Deno.errors.FilesystemLoop(
    `${path}: too many levels of symbolic links`,
  );
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

/** The directory part of `path` (`.` when it has none). */
export function dirname(path: string): string {
  const slash = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  if (slash < 0) return ".";
  return slash === 0 ? "/" : path.slice(0, slash);
}

/** The last part of `path`. */
export function basename(path: string): string {
  const slash = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return path.slice(slash + 1);
}
