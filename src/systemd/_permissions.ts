/**
 * Asking whether a permission is granted without prompting: a notifier
 * that cannot use a route moves to the next one, it never stops the app to
 * ask a person at a terminal.
 *
 * @module
 */

/** True when `descriptor` is granted now (never prompts). */
export function granted(descriptor: Deno.PermissionDescriptor): boolean {
  try {
    return Deno.permissions.querySync(descriptor).state === "granted";
  } catch {
    return false;
  }
}

/** An environment variable, or undefined when it is unset or not ours to read. */
export function readEnv(name: string): string | undefined {
  return granted({ name: "env", variable: name })
    ? Deno.env.get(name)
    : undefined;
}
