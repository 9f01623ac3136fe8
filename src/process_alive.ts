/**
 * Telling whether a process still runs, without signalling it.
 *
 * @module
 */

/** Whether a process with this id is alive (Linux `/proc`, else `kill -0`). */
export function processAlive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch (error) {
    if (Deno.build.os === "linux" && error instanceof Deno.errors.NotFound) {
      return false;
    }
  }
  const { success } = new Deno.Command("kill", {
    args: ["-0", String(pid)],
    stderr: "null",
  }).outputSync();
  return success;
}
