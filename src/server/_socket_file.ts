/**
 * Unix socket files: removed before binding when an earlier run left one
 * behind (as asyncio does), and after the server stops.
 *
 * @module
 */

/** Removes `path` if it is a socket file (left behind by an earlier run). */
export function removeStaleSocket(path: string): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch {
    return;
  }
  if (info.isSocket) removeSocketFile(path);
}

/** Removes the socket file at `path`, if it is still there. */
export function removeSocketFile(path: string): void {
  try {
    Deno.removeSync(path);
  } catch {
    // Gone already.
  }
}
