/**
 * Whether a log file could be opened, found out without creating or
 * changing anything: what `aio check`, `aio permissions` and `aio unit`
 * need, since a command that only reads must leave the disk as it was.
 *
 * - An existing regular file is opened for appending, without `create`,
 *   and closed at once: that proves it can be written (its bytes, size and
 *   times stay as they were).
 * - An existing directory is refused: opening it for writing fails, and
 *   creates nothing either.
 * - Anything else that exists (a device, a FIFO, a socket) is left alone:
 *   opening a FIFO for writing would wait for a reader.
 * - A missing file: its nearest existing ancestor must be a directory
 *   (`mkdir -p` then creates the rest). Whether that directory lets aio
 *   create files in it cannot be known without creating one: `aio run`
 *   finds that out when it opens the file.
 *
 * @module
 */

import { dirname } from "node:path";

/**
 * Throws the error opening `path` for appending would throw, as far as
 * that can be known without creating anything (see the module's notes).
 *
 * @throws {Error} when the file cannot be opened, or its directory cannot be created
 */
export function checkLogFileOpens(path: string): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (error) {
    // Missing, or a file stands where one of its directories should.
    if (
      error instanceof Deno.errors.NotFound ||
      error instanceof Deno.errors.NotADirectory
    ) {
      const blocker = creationBlocker(dirname(path));
      if (blocker !== undefined) {
        throw new Error(`'${blocker}' is not a directory`);
      }
      return;
    }
    // No --allow-read for it: opening needs only write access, so try that.
    if (error instanceof Deno.errors.NotCapable) return openAndClose(path);
    throw error;
  }
  // A directory fails to open for writing (EISDIR) as it would in a run.
  if (info.isFile || info.isDirectory) openAndClose(path);
}

/**
 * The nearest existing ancestor of `directory` (itself included) when it
 * is not a directory, so `mkdir -p directory` cannot succeed; undefined
 * when it is one, or when it cannot be looked at (no `--allow-read`:
 * opening the file will say why).
 */
export function creationBlocker(directory: string): string | undefined {
  for (let path = directory;; path = dirname(path)) {
    try {
      return Deno.statSync(path).isDirectory ? undefined : path;
    } catch (error) {
      if (error instanceof Deno.errors.NotADirectory) continue;
      if (!(error instanceof Deno.errors.NotFound)) return undefined;
    }
    if (dirname(path) === path) return undefined;
  }
}

function openAndClose(path: string): void {
  try {
    Deno.openSync(path, { write: true, append: true }).close();
  } catch (error) {
    // Gone in between, or not ours to look at: nothing more to learn here.
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
}
