/**
 * The few libc calls sd_notify needs where Deno has no stable API:
 * `clock_gettime(CLOCK_MONOTONIC)` and a unix datagram `sendto` (which also
 * reaches abstract sockets). Only with `--allow-ffi`, on Linux.
 *
 * @module
 */

import { granted } from "./_permissions.ts";

const SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  sendto: {
    parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"],
    result: "isize",
  },
  close: { parameters: ["i32"], result: "i32" },
  clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

/** libc's symbols that aio uses. */
export type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let libc: Libc | null | undefined;

/** libc, or null when FFI is not granted, not Linux, or no libc loads. */
export function loadLibc(): Libc | null {
  if (libc !== undefined) return libc;
  libc = null;
  if (
    Deno.build.os !== "linux" || typeof Deno.dlopen !== "function" ||
    !granted({ name: "ffi" })
  ) return libc;
  for (const name of ["libc.so.6", "libc.so"]) {
    try {
      libc = Deno.dlopen(name, SYMBOLS).symbols;
      break;
    } catch {
      // Not this name (musl, say); try the next.
    }
  }
  return libc;
}

/** The calling thread's errno, right after a failed call. */
export function errno(lib: Libc): number {
  const pointer = lib.__errno_location();
  return pointer ? new Deno.UnsafePointerView(pointer).getInt32() : 0;
}

const ERRNO_NAMES: Record<number, string> = {
  1: "EPERM",
  2: "ENOENT",
  11: "EAGAIN (the receiver's queue is full)",
  13: "EACCES",
  22: "EINVAL",
  36: "ENAMETOOLONG",
  91: "EPROTOTYPE",
  111: "ECONNREFUSED (nothing listens there)",
};

/** `ENOENT`, say, or `errno N`. */
export function errnoName(code: number): string {
  return ERRNO_NAMES[code] ?? `errno ${code}`;
}
