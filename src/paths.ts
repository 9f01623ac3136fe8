/**
 * Paths as aio hands them on: to a binary, a test process or a permission
 * flag, where the working directory may differ.
 *
 * @module
 */

/** `path` made absolute against the working directory. */
export function absolutePath(path: string): string {
  return path.startsWith("/")
    ? path
    : `${Deno.cwd()}/${path.replace(/^\.\//, "")}`;
}
