/**
 * The command that starts the daemon: this same aio, with the launcher's
 * own Deno permissions (never more).
 *
 * @module
 */

import { runningUnderDeno } from "../deno_path.ts";
import { allGranted, granted, PERMISSION_KINDS, readProc } from "./_proc.ts";

/** Flags of the launcher's `deno run` that a daemon must not inherit. */
const DROPPED_FLAG =
  /^--(watch|watch-hmr|hmr|watch-exclude|no-clear-screen)(=|$)/;

/** The permission kinds whose grants can be given per item. */
type ListedKind = "read" | "write" | "net" | "env" | "import";

/** What the daemon may need, by kind: what `aio permissions` works out for the app, plus the pidfile's directory. */
export type PermissionCandidates = Partial<
  Record<ListedKind, Iterable<string>>
>;

/**
 * The program and arguments that run `aio CLI_ARGS` as this process does.
 * A compiled aio runs itself (its permissions are built in). Under
 * `deno run`: the launcher's own flags where it can read them (Linux
 * `/proc/self/cmdline`, which Deno lets only `-A` read), file watching
 * dropped; otherwise the permissions it can see it has: every kind it has
 * whole (`-A` when that is all of them), and of the others the
 * `candidates` it has been granted.
 */
export function aioCommand(
  cliArgs: readonly string[],
  candidates: PermissionCandidates = {},
): string[] {
  const exec = Deno.execPath();
  if (!runningUnderDeno()) return [exec, ...cliArgs];
  const flags = ownDenoFlags() ?? grantedFlags(candidates);
  return [exec, "run", ...flags, Deno.mainModule, ...cliArgs];
}

/**
 * The flags between `deno run` and the main module on this process's
 * command line; undefined where it cannot be read.
 */
export function ownDenoFlags(): string[] | undefined {
  const text = readProc("/proc/self/cmdline");
  if (text === undefined) return undefined;
  const argv = text.split("\0");
  if (argv.at(-1) === "") argv.pop();
  // [deno, run, ...flags, script, ...Deno.args]
  const script = argv.length - Deno.args.length - 1;
  if (script < 1) return undefined;
  const flags = argv.slice(1, script);
  if (flags[0] === "run") flags.shift();
  return flags.filter((flag) => !DROPPED_FLAG.test(flag));
}

/** The permission flags this process can show it has, among `candidates`. */
export function grantedFlags(candidates: PermissionCandidates): string[] {
  if (allGranted()) return ["-A", ...unstableFlags()];
  const whole = PERMISSION_KINDS.filter((name) => granted({ name }));
  const flags = whole.map((name) => `--allow-${name}`);
  for (const [kind, items] of Object.entries(candidates)) {
    if (whole.includes(kind as ListedKind)) continue;
    const given = [...new Set(items)].filter((item) =>
      granted(descriptor(kind as ListedKind, item))
    ).sort();
    if (given.length > 0) flags.push(`--allow-${kind}=${given.join(",")}`);
  }
  return [...flags, ...unstableFlags()];
}

function descriptor(kind: ListedKind, item: string): Deno.PermissionDescriptor {
  switch (kind) {
    case "read":
    case "write":
      return { name: kind, path: item };
    case "net":
    case "import":
      return { name: kind, host: item };
    case "env":
      return { name: kind, variable: item };
  }
}

/** `--unstable-net` when this process has the unstable network APIs (aio's UDP and reuse_port need them). */
function unstableFlags(): string[] {
  return "listenDatagram" in Deno ? ["--unstable-net"] : [];
}
