/**
 * Reading Linux's `/proc`, which Deno (2.9) lets only a process with every
 * permission read: elsewhere a read would fail, or prompt at a terminal.
 *
 * @module
 */

/** Deno's permission kinds, as `--allow-KIND` names them. */
export const PERMISSION_KINDS = [
  "read",
  "write",
  "net",
  "env",
  "run",
  "ffi",
  "sys",
  "import",
] as const;

/** Whether this process has every permission (`-A`). */
export function allGranted(): boolean {
  return PERMISSION_KINDS.every((name) => granted({ name }));
}

/** Whether `permission` is granted, asking nobody. */
export function granted(permission: Deno.PermissionDescriptor): boolean {
  try {
    return Deno.permissions.querySync(permission).state === "granted";
  } catch {
    return false;
  }
}

/** The text of a `/proc` file; undefined where it cannot be read. */
export function readProc(path: string): string | undefined {
  if (Deno.build.os !== "linux" || !allGranted()) return undefined;
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

/** Where a `/proc` symlink (such as `/proc/PID/cwd`) points; undefined where it cannot be read. */
export function readProcLink(path: string): string | undefined {
  if (Deno.build.os !== "linux" || !allGranted()) return undefined;
  try {
    return Deno.readLinkSync(path);
  } catch {
    return undefined;
  }
}
