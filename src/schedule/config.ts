/**
 * Reading and checking a `[schedule/NAME]` section (SPEC 5) without
 * importing anything, so `aio check` can report every problem at once.
 *
 * @module
 */

import type { ConfigParser } from "../config/config_parser.ts";
import { formatSource } from "../config/errors.ts";
import { Problems } from "../config/problems.ts";
import { type RefOption, SectionReader } from "../config/section_reader.ts";
import { CLUSTER_SECTION } from "../cluster/section.ts";
import { cronProblem } from "./_cron.ts";
import {
  EVERY_MAX_S,
  EVERY_MIN_S,
  type Overlap,
  timezoneProblem,
} from "./definition.ts";

/** The prefix of schedule section names. */
export const SCHEDULE_SECTION_PREFIX = "schedule/";

/** The options a `[schedule/NAME]` section may hold. */
export const SCHEDULE_OPTIONS: readonly string[] = [
  "func",
  "every",
  "cron",
  "cb",
  "err",
  "timezone",
  "jitter",
  "overlap",
  "timeout",
  "cluster",
  "workers",
];

/** A checked `[schedule/NAME]` section, its references not yet loaded. */
export interface ScheduleSpec {
  /** The section name, `schedule/NAME`. */
  section: string;
  /** NAME. */
  name: string;
  /** The function to run. */
  func: RefOption;
  /** Called with each run's result. */
  cb?: RefOption;
  /** Called with each run's error. */
  err?: RefOption;
  /** Seconds between runs; exactly one of `every` and `cron` is set. */
  every?: number;
  /** A cron expression, checked. */
  cron?: string;
  /** An IANA time zone, checked. */
  timezone?: string;
  /** Seconds of random delay, 0 or more. */
  jitter?: number;
  /** Seconds after which a run is cut, 0 or more. */
  timeout?: number;
  /** `allow` (default) or `skip`. */
  overlap: Overlap;
  /** `each` (default): every host runs it; `once`: one host per run. */
  cluster: "each" | "once";
  /** `one` (default): one worker runs it; `all`: every worker. */
  workers: "one" | "all";
  /** The options of the section (DEFAULT's included), interpolated. */
  config: Record<string, string>;
  /** Where the section starts (`file:line`). */
  source: string;
}

/**
 * Reads `section` (a `schedule/NAME` section) and checks it, reporting every
 * problem to `problems` as a {@linkcode ConfigError} at the line at fault.
 * A section with `cron` needs croner loaded first (`loadCron()`; the
 * schedule package's `resolveSchedules` does it).
 *
 * @returns The spec, or undefined when the section has errors.
 *
 * @example Reading a section
 * ```ts
 * import { ConfigParser } from "../config/config_parser.ts";
 * import { Problems } from "../config/problems.ts";
 * import { readScheduleSpec } from "./config.ts";
 * const config = new ConfigParser().readString(
 *   "[schedule/tick]\nfunc = ./app.ts#tick\nevery = 1e-7\n",
 *   "aio.conf",
 * );
 * const problems = new Problems();
 * const spec = readScheduleSpec(config, "schedule/tick", problems);
 * console.log(spec, problems.errors[0].message);
 * // undefined aio.conf:3: [schedule/tick] every: must be a positive number of seconds, at least 0.001, not "1e-7"
 * ```
 */
export function readScheduleSpec(
  config: ConfigParser,
  section: string,
  problems: Problems,
): ScheduleSpec | undefined {
  return readScheduleSection(config, section, problems).spec;
}

/** What {@linkcode readScheduleSection} found in a section. */
export interface ScheduleSection {
  /** The spec, or undefined when the section has errors. */
  spec: ScheduleSpec | undefined;
  /**
   * The section's references (`func`, `cb`, `err`) as written, even when
   * the section has other problems: loading them finds their problems in
   * the same pass.
   */
  refs: RefOption[];
}

/** {@linkcode readScheduleSpec}, with the section's references apart. */
export function readScheduleSection(
  config: ConfigParser,
  section: string,
  problems: Problems,
): ScheduleSection {
  // `config` repeats the options the typed getters read: collect apart, so
  // that a value that does not interpolate is reported once, not twice.
  const found = new Problems();
  const reader = new SectionReader(config, section, found, {
    known: SCHEDULE_OPTIONS,
  });
  const draft = readSpec(reader, config);
  reader.checkUnknown();
  reportOnce(found, problems);
  const refs = [draft.func, draft.cb, draft.err].filter((ref) => !!ref);
  const { func } = draft;
  const sound = !found.failed && func !== undefined;
  return { spec: sound ? { ...draft, func } : undefined, refs };
}

function reportOnce(found: Problems, problems: Problems): void {
  const seen = new Set<string>();
  for (const error of found.errors) {
    if (!seen.has(error.message)) problems.error(error);
    seen.add(error.message);
  }
  for (const warning of found.warnings) problems.warn(warning);
}

/** A spec as read, whatever its problems: `func` may be missing. */
type Draft = Omit<ScheduleSpec, "func"> & { func?: RefOption };

function readSpec(reader: SectionReader, config: ConfigParser): Draft {
  const section = reader.section;
  const name = section.slice(SCHEDULE_SECTION_PREFIX.length);
  if (!name) reader.sectionError("needs a name, as in [schedule/NAME]");
  if (!reader.has("func")) reader.sectionError("needs func (SPECIFIER#EXPORT)");
  const func = reader.ref("func");
  const cb = reader.ref("cb");
  const err = reader.ref("err");
  const every = readEvery(reader);
  const timezone = readTimezone(reader);
  const cron = readCron(reader, timezone);
  if (reader.has("every") === reader.has("cron")) {
    reader.sectionError(
      `needs exactly one of every or cron, ${
        reader.has("every") ? "not both" : "found neither"
      }`,
    );
  }
  const seconds = { min: 0, what: "a number of seconds, 0 or more" };
  const jitter = reader.number("jitter", seconds);
  const timeout = reader.number("timeout", seconds);
  const overlap = reader.choice("overlap", ["allow", "skip"]) ?? "allow";
  const cluster = reader.choice("cluster", ["each", "once"]) ?? "each";
  if (cluster === "once" && !config.has(CLUSTER_SECTION)) {
    reader.error(
      "cluster",
      `once needs an [${CLUSTER_SECTION}] section (the hosts that share the runs)`,
    );
  }
  const workers = reader.choice("workers", ["one", "all"]) ?? "one";
  const values = reader.values();
  const header = reader.headerSource;
  return {
    section,
    name,
    ...(func && { func }),
    ...(cb && { cb }),
    ...(err && { err }),
    ...(every !== undefined && { every }),
    ...(cron !== undefined && { cron }),
    ...(timezone !== undefined && { timezone }),
    ...(jitter !== undefined && { jitter }),
    ...(timeout !== undefined && { timeout }),
    overlap,
    cluster,
    workers,
    config: values,
    source: formatSource(header.file, header.line),
  };
}

function readEvery(reader: SectionReader): number | undefined {
  const every = reader.number("every", {
    min: EVERY_MIN_S,
    what: `a positive number of seconds, at least ${EVERY_MIN_S}`,
  });
  if (every === undefined || every <= EVERY_MAX_S) return every;
  reader.error(
    "every",
    `must be at most 1e12 seconds (about 31,700 years), not ${
      JSON.stringify(reader.string("every"))
    }`,
  );
  return undefined;
}

function readTimezone(reader: SectionReader): string | undefined {
  const timezone = reader.string("timezone");
  if (timezone === undefined) return undefined;
  const problem = timezoneProblem(timezone);
  if (problem) reader.error("timezone", problem);
  return problem ? undefined : timezone;
}

function readCron(
  reader: SectionReader,
  timezone: string | undefined,
): string | undefined {
  const cron = reader.string("cron");
  if (cron === undefined) return undefined;
  const problem = cronProblem(cron, timezone);
  if (problem) reader.error("cron", problem);
  return problem ? undefined : cron;
}
