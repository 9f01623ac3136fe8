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
  /** Seconds of random delay: 0 up to `every` (with `every`), at most 2147483. */
  jitter?: number;
  /** Seconds after which a run is cut, 0.001 to 1e12. */
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
 * // undefined aio.conf:3: [schedule/tick] every: must be a number of seconds from 0.001 to 1e12, not "1e-7"
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
  // Collected apart to tell whether this section has errors; `config`
  // repeats the options the typed getters read, so a value that does not
  // interpolate is found twice (and reported once: Problems keeps one).
  const found = new Problems();
  const reader = new SectionReader(config, section, found, {
    known: SCHEDULE_OPTIONS,
  });
  const draft = readSpec(reader, config);
  reader.checkUnknown();
  for (const error of found.errors) problems.error(error);
  for (const warning of found.warnings) problems.warn(warning);
  const refs = [draft.func, draft.cb, draft.err].filter((ref) => !!ref);
  const { func } = draft;
  const sound = !found.failed && func !== undefined;
  return { spec: sound ? { ...draft, func } : undefined, refs };
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
  const jitter = readJitter(reader, every);
  // A run cut under 1 ms after it starts never ran: no timeout is that
  // short. The scheduler waits for a deadline in steps, so a timeout may
  // be as long as `every`.
  const timeout = reader.seconds("timeout", { max: EVERY_MAX_S });
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

// The scheduler waits for a run in steps, so `every` may pass what one
// timer holds; its ceiling is what a Date can hold.
function readEvery(reader: SectionReader): number | undefined {
  return reader.seconds("every", { min: EVERY_MIN_S, max: EVERY_MAX_S });
}

/**
 * `jitter`: 0 (none) up to what one timer holds, and with `every` at most
 * `every`: a run is delayed within its own period, never past the next
 * one (a larger jitter would put each run after the one due next).
 */
function readJitter(
  reader: SectionReader,
  every: number | undefined,
): number | undefined {
  const jitter = reader.seconds("jitter", { min: 0 });
  if (jitter === undefined || every === undefined || jitter <= every) {
    return jitter;
  }
  reader.error(
    "jitter",
    `must be at most every (${every} s): a run is delayed within its period, not ${
      JSON.stringify(reader.string("jitter"))
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
