/**
 * croner, loaded only when a config has a cron schedule: importing it is
 * start-up time that apps with none should not pay.
 *
 * @module
 */

import type { Cron } from "croner";

let cronClass: typeof Cron | undefined;

/** Imports croner (once); reading or adding a cron schedule needs it first. */
export async function loadCron(): Promise<void> {
  cronClass ??= (await import("croner")).Cron;
}

/** Computes run times of `expression` (5 fields, or 6 with seconds first) in `timezone`. */
export function compileCron(
  expression: string,
  timezone: string | undefined,
): Cron {
  if (!cronClass) {
    throw new Error(
      "croner is not loaded: await loadCron() before reading or adding a cron schedule",
    );
  }
  // Without a function croner starts no timer: it only computes run times.
  return new cronClass(expression, { mode: "5-or-6-parts", timezone });
}

/** What is wrong with a cron expression (for `[section] cron: ...`), or undefined. */
export function cronProblem(
  expression: string,
  timezone: string | undefined,
): string | undefined {
  // croner's own message for a wrong count says five, six or seven parts
  // are allowed; aio takes 5, or 6 with seconds first (nicknames aside).
  const text = expression.trim();
  const fields = text === "" ? 0 : text.split(/\s+/).length;
  if (!text.startsWith("@") && fields !== 5 && fields !== 6) {
    return `must have 5 fields, or 6 with seconds first, not ${fields}`;
  }
  try {
    if (compileCron(expression, timezone).nextRun() === null) {
      return `${JSON.stringify(expression)} never matches`;
    }
    return undefined;
  } catch (error) {
    if (!cronClass) throw error;
    const detail = error instanceof Error ? error.message : String(error);
    return `bad expression ${JSON.stringify(expression)}: ${
      detail.replace(/^Cron\w*: /, "")
    }`;
  }
}
