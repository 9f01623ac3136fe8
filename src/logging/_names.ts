/**
 * What the logging options name, and what is said when a name is wrong:
 * the level names the config takes (Python's, plus `WARN`, `FATAL` and
 * `TRACE`) and the sections a handler or formatter name needs. Shared by
 * `[aio] log_level` and `log_handlers` (settings.ts) and the logging
 * sections (`_plan.ts`), so both say the same words about one bad value,
 * and it is reported once.
 *
 * @module
 */

import type { LogLevel } from "@logtape/logtape";

/** A LogTape level, or Python's NOTSET (everything; inherit on a logger). */
export type Level = LogLevel | "notset";

const LEVELS: Readonly<Record<string, Level>> = {
  CRITICAL: "fatal",
  FATAL: "fatal",
  ERROR: "error",
  WARNING: "warning",
  WARN: "warning",
  INFO: "info",
  DEBUG: "debug",
  TRACE: "trace",
  NOTSET: "notset",
};

/**
 * The level a name stands for (any case, spaces around ignored), or
 * undefined when it is none.
 *
 * @example
 * ```ts
 * import { parseLevel } from "./_names.ts";
 * console.log(parseLevel("warn"), parseLevel("LOUD")); // "warning" undefined
 * ```
 */
export function parseLevel(text: string): Level | undefined {
  const name = text.trim().toUpperCase();
  return Object.hasOwn(LEVELS, name) ? LEVELS[name] : undefined;
}

/** What is wrong with a level name (for `[section] option: ...`), or undefined. */
export function levelProblem(text: string): string | undefined {
  if (parseLevel(text) !== undefined) return undefined;
  return `unknown level '${text.trim()}': use DEBUG, INFO, WARNING, ERROR, CRITICAL or NOTSET`;
}

/**
 * `handler 'x' is not defined: HINT`, for a handler (or formatter) name
 * with no section to go with it; `hint` says what to add (by default its
 * section).
 *
 * @example
 * ```ts
 * import { notDefined } from "./_names.ts";
 * console.log(notDefined("handler", "nothere"));
 * // handler 'nothere' is not defined: add a [handler_nothere] section
 * ```
 */
export function notDefined(
  kind: "handler" | "formatter",
  name: string,
  hint = `add a [${kind}_${name}] section`,
): string {
  return `${kind} '${name}' is not defined: ${hint}`;
}
