/**
 * Telling whether a process still runs, without signalling it.
 *
 * @module
 */

/**
 * Whether a process with this id is alive (Linux `/proc`, else `kill -0`).
 * A zombie (exited, not yet reaped by its parent) is not alive: it holds no
 * file, lock or port any more.
 */
export function processAlive(pid: number): boolean {
  if (Deno.build.os === "linux") {
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      // "PID (COMM) STATE ...": COMM may hold spaces and parentheses.
      const state = stat.slice(
        stat.lastIndexOf(")") + 2,
        stat.lastIndexOf(")") + 3,
      );
      return state !== "Z" && state !== "X";
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return false;
    }
  }
  const { success } = new Deno.Command("kill", {
    args: ["-0", String(pid)],
    stderr: "null",
  }).outputSync();
  return success;
}
