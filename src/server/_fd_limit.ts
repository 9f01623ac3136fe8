/**
 * The process's open file limit (RLIMIT_NOFILE), for the log. Deno, like
 * Node, raises the soft limit to the hard one when it starts, so there is
 * nothing left for aio to raise: only root can lift the hard limit (with
 * systemd, `LimitNOFILE=`). aio reads the limit where it may (Linux's
 * `/proc/self/limits`, with read permission granted) and says what it is.
 *
 * @module
 */

/** The soft and hard open file limits; `Infinity` for "unlimited". */
export interface OpenFileLimit {
  /** What the process may open now. */
  soft: number;
  /** What the soft limit may be raised to without privileges. */
  hard: number;
}

const LIMITS_FILE = "/proc/self/limits";

/** The open file limit, or undefined where it cannot be read (not Linux, or no permission). */
export function readOpenFileLimit(): OpenFileLimit | undefined {
  if (Deno.build.os !== "linux") return undefined;
  const permission = Deno.permissions.querySync({
    name: "read",
    path: LIMITS_FILE,
  });
  if (permission.state !== "granted") return undefined;
  let text: string;
  try {
    text = Deno.readTextFileSync(LIMITS_FILE);
  } catch {
    return undefined;
  }
  return parseOpenFileLimit(text);
}

/** The "Max open files" line of a `/proc/PID/limits` text. */
export function parseOpenFileLimit(text: string): OpenFileLimit | undefined {
  const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
  if (!match) return undefined;
  const value = (word: string) =>
    word === "unlimited" ? Infinity : Number(word);
  const soft = value(match[1]);
  const hard = value(match[2]);
  return Number.isNaN(soft) || Number.isNaN(hard) ? undefined : { soft, hard };
}
