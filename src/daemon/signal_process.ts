/**
 * Signalling the daemon from `aio stop` and `aio reload`. `Deno.kill` needs
 * `--allow-run` whole; under the narrow flags `aio permissions -d` prints
 * (`--allow-run=kill,sh`), the `kill` program does the same job.
 *
 * @module
 */

/**
 * Sends `signal` to `pid`: through `Deno.kill` where the process may, else
 * through the `kill` program. Throws what the last route threw (a missing
 * process is `Deno.errors.NotFound`).
 *
 * @example
 * ```ts
 * import { sendSignal } from "./signal_process.ts";
 * const child = new Deno.Command("sleep", { args: ["5"] }).spawn();
 * await sendSignal(child.pid, "SIGTERM");
 * console.log((await child.status).signal); // "SIGTERM"
 * ```
 */
export async function sendSignal(
  pid: number,
  signal: Deno.Signal,
): Promise<void> {
  try {
    Deno.kill(pid, signal);
    return;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotCapable)) throw error;
    const { code, stderr } = await new Deno.Command("kill", {
      args: ["-s", signal.replace(/^SIG/, ""), String(pid)],
      stdout: "null",
      stderr: "piped",
    }).output().catch(() => {
      throw error;
    });
    if (code !== 0) {
      const detail = new TextDecoder().decode(stderr).trim();
      throw new Deno.errors.NotFound(
        `cannot signal pid ${pid}: ${detail || `kill exited ${code}`}`,
      );
    }
  }
}
