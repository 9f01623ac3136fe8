/**
 * The lock that serialises edits of one config file: an advisory lock
 * (`flock`, through `Deno.FsFile.tryLock`) on a lock file beside it, so that
 * concurrent `aio config -s` and `--unset` each read the file after the
 * previous one renamed its new version into place, and no update is lost.
 *
 * The lock file is `.NAME.lock` in the file's directory. Whoever holds the
 * lock removes it before letting go, so none is left behind; one left by a
 * killed writer is harmless (the kernel dropped its lock with the process,
 * and the next writer takes it over). Because a waiter may have opened a
 * lock file that its holder then removed, a writer that gets the lock
 * checks that the path still names the file it locked, and starts again if
 * not.
 *
 * @module
 */

import { basename, dirname } from "./atomic_write.ts";

/** How long a writer waits for the lock unless told otherwise. */
export const DEFAULT_LOCK_TIMEOUT_MS = 10_000;

/** Options for {@linkcode lockForEdit}. */
export interface EditLockOptions {
  /** How long to wait for another writer, in ms (default {@linkcode DEFAULT_LOCK_TIMEOUT_MS}). */
  timeoutMs?: number;
}

/** A held edit lock. */
export interface EditLock {
  /** The lock file's path. */
  readonly path: string;
  /** Removes the lock file and lets the lock go. Safe to call twice. */
  release(): void;
}

/** Another writer held the lock for longer than the timeout. */
export class LockTimeoutError extends Error {
  /** The lock file's path. */
  readonly lockPath: string;
  /** The pid the lock file names, when it names one. */
  readonly holder: number | undefined;
  /** How long the writer waited, in ms. */
  readonly waitedMs: number;
  /** Creates the error. */
  constructor(lockPath: string, holder: number | undefined, waitedMs: number) {
    super(
      `timed out after ${
        formatSeconds(waitedMs)
      } waiting for the lock ${lockPath} (held by ${
        holder === undefined ? "another process" : `process ${holder}`
      })`,
    );
    this.name = "LockTimeoutError";
    this.lockPath = lockPath;
    this.holder = holder;
    this.waitedMs = waitedMs;
  }
}

/**
 * The lock file for edits of `path`: `.NAME.lock` beside it.
 *
 * @example
 * ```ts
 * import { lockPathFor } from "./edit_lock.ts";
 * console.log(lockPathFor("etc/aio.conf")); // "etc/.aio.conf.lock"
 * console.log(lockPathFor("aio.conf")); // ".aio.conf.lock"
 * ```
 */
export function lockPathFor(path: string): string {
  const directory = dirname(path);
  const name = `.${basename(path)}.lock`;
  return directory === "." && !path.startsWith("./")
    ? name
    : `${directory === "/" ? "" : directory}/${name}`;
}

/**
 * Takes the edit lock of `path` (the real file, symlinks already followed),
 * waiting up to `options.timeoutMs` for other writers. Throws
 * {@linkcode LockTimeoutError} when the wait runs out, or the error of
 * creating the lock file (a missing or read-only directory, say).
 *
 * @example
 * ```ts
 * import { lockForEdit } from "./edit_lock.ts";
 * const dir = Deno.makeTempDirSync();
 * const lock = await lockForEdit(`${dir}/aio.conf`);
 * try {
 *   Deno.writeTextFileSync(`${dir}/aio.conf`, "[aio]\n");
 * } finally {
 *   lock.release();
 * }
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export async function lockForEdit(
  path: string,
  options: EditLockOptions = {},
): Promise<EditLock> {
  const lockPath = lockPathFor(path);
  const timeoutMs = options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const started = performance.now();
  let delayMs = 1;
  let file = openLockFile(lockPath);
  for (;;) {
    if (file.handle.tryLockSync(true)) {
      if (namesFile(lockPath, file.handle)) break;
      // Its holder removed it while we waited: lock the one there now.
      file.handle.close();
      file = openLockFile(lockPath);
      continue;
    }
    const waited = performance.now() - started;
    if (waited >= timeoutMs) {
      file.handle.close();
      throw new LockTimeoutError(lockPath, readHolder(lockPath), waited);
    }
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(delayMs, timeoutMs - waited))
    );
    // Back off to 25 ms, with jitter so waiters do not poll in step.
    delayMs = Math.min(delayMs * 2, 25) * (0.75 + Math.random() / 2);
  }
  if (file.writable) writeHolder(file.handle);
  let held = true;
  return {
    path: lockPath,
    release() {
      if (!held) return;
      held = false;
      try {
        Deno.removeSync(lockPath);
      } catch {
        // Removed by hand: the lock itself still goes with the close.
      }
      file.handle.close();
    },
  };
}

/** Opens (creating) the lock file; read-only when another user's lock file is not ours to write. */
function openLockFile(
  lockPath: string,
): { handle: Deno.FsFile; writable: boolean } {
  try {
    const handle = Deno.openSync(lockPath, {
      read: true,
      write: true,
      create: true,
      mode: 0o644,
    });
    return { handle, writable: true };
  } catch (error) {
    if (!(error instanceof Deno.errors.PermissionDenied)) throw error;
    // flock needs no write access: a lock file another user created still serves.
    return { handle: Deno.openSync(lockPath, { read: true }), writable: false };
  }
}

/** Whether `lockPath` still names the file `handle` has open. */
function namesFile(lockPath: string, handle: Deno.FsFile): boolean {
  let current: Deno.FileInfo;
  try {
    current = Deno.statSync(lockPath);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
  const open = handle.statSync();
  return current.ino === open.ino && current.dev === open.dev;
}

/** Records our pid in the lock file, so a writer that times out can name us. */
function writeHolder(handle: Deno.FsFile): void {
  try {
    handle.truncateSync(0);
    handle.writeSync(new TextEncoder().encode(`${Deno.pid}\n`));
  } catch {
    // A full disk may refuse even this; the lock does not need it.
  }
}

function readHolder(lockPath: string): number | undefined {
  try {
    const text = Deno.readTextFileSync(lockPath).trim();
    return /^\d+$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}
