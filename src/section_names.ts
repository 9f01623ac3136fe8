/**
 * Section names aio knows, and the warnings for names that nearly match
 * one (`[schedul/x]` is most likely `[schedule/x]`, which aio would read).
 *
 * @module
 */

import type { ConfigParser } from "./config/config_parser.ts";
import { errorAt } from "./config/errors.ts";
import type { Problems } from "./config/problems.ts";
import { closest } from "./suggest.ts";

/** Sections aio reads by their whole name. */
const NAMES = [
  "aio",
  "aio/commands",
  "aio/testing",
  "aio/health",
  "aio/cluster",
  "loggers",
  "handlers",
  "formatters",
];
/** Prefixes of the sections aio reads, with the separator. */
const PREFIXES = [
  "server/",
  "schedule/",
  "listen/",
  "logger_",
  "handler_",
  "formatter_",
];

/**
 * Warns about each section whose name nearly matches one aio reads, or that
 * claims aio's own `aio/` namespace without being one of its sections.
 *
 * @example
 * ```ts
 * import { ConfigParser } from "./config/config_parser.ts";
 * import { Problems } from "./config/problems.ts";
 * import { checkSectionNames } from "./section_names.ts";
 * const problems = new Problems();
 * checkSectionNames(new ConfigParser().readString("[schedul/x]\n", "app.conf"), problems);
 * console.log(problems.warnings[0].message);
 * // app.conf:1: [schedul/x] unknown section; did you mean [schedule/x]?
 * ```
 */
export function checkSectionNames(
  config: ConfigParser,
  problems: Problems,
): void {
  for (const section of config.sections()) {
    if (isKnown(section)) continue;
    const suggestion = suggest(section);
    const aioOwned = section.startsWith("aio/");
    if (!suggestion && !aioOwned) continue;
    const hint = suggestion
      ? `did you mean [${suggestion}]?`
      : `aio reads only ${
        NAMES.filter((name) => name.startsWith("aio/")).map((name) =>
          `[${name}]`
        ).join(", ")
      }`;
    problems.warn(errorAt(
      config.sectionSource(section),
      `[${section}] unknown section; ${hint}`,
    ));
  }
}

function isKnown(section: string): boolean {
  return NAMES.includes(section) ||
    PREFIXES.some((prefix) =>
      section.startsWith(prefix) && section.length > prefix.length
    );
}

/** The known name `section` is most likely a slip of, if any. */
function suggest(section: string): string | undefined {
  const whole = closest(section, NAMES);
  if (whole) return whole;
  for (const separator of ["/", "_"]) {
    const at = section.indexOf(separator);
    if (at <= 0) continue;
    const head = section.slice(0, at + 1);
    const prefix = closest(head, PREFIXES);
    if (prefix) return prefix + section.slice(at + 1);
  }
  return undefined;
}
