/**
 * Finding a `deno` to run: the one running aio, or, when aio is a compiled
 * binary, the one on PATH.
 *
 * @module
 */

import { AioError } from "./errors.ts";

/** Whether this process is a `deno` executable (not a compiled binary). */
export function runningUnderDeno(): boolean {
  return /(^|\/)deno(\.exe)?$/.test(Deno.execPath());
}

/** The path of a `deno` executable; throws AioError naming what needs it when there is none. */
export function findDeno(): string {
  if (runningUnderDeno()) return Deno.execPath();
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (!dir) continue;
    try {
      if (Deno.statSync(`${dir}/deno`).isFile) return `${dir}/deno`;
    } catch {
      // Not in this directory.
    }
  }
  throw new AioError(
    "This command needs deno on PATH (this aio is a compiled binary without it)",
  );
}
