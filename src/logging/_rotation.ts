/**
 * The arithmetic of Python's `TimedRotatingFileHandler`: when the next
 * rollover is due, what the rolled-over file is called, and which old
 * files to delete. Pure functions of a timestamp, so tests run them on a
 * fake clock. The file work is in `_log_file.ts`.
 *
 * @module
 */

/** `when` as Python spells it (upper case): S, M, H, D, MIDNIGHT or W0-W6. */
export type RolloverWhen =
  | "S"
  | "M"
  | "H"
  | "D"
  | "MIDNIGHT"
  | `W${0 | 1 | 2 | 3 | 4 | 5 | 6}`;

/** A time of day for MIDNIGHT and W0-W6 rollovers (Python's `atTime`). */
export interface TimeOfDay {
  /** 0-23. */
  hour: number;
  /** 0-59. */
  minute: number;
  /** 0-59. */
  second: number;
}

/** A `TimedRotatingFileHandler`'s schedule. */
export interface TimedSchedule {
  /** The unit. */
  when: RolloverWhen;
  /** How many units between rollovers (1 or more). */
  interval: number;
  /** UTC instead of local time, for the day boundaries and the names. */
  utc: boolean;
  /** The time of day of MIDNIGHT and weekly rollovers (default midnight). */
  atTime?: TimeOfDay;
}

const UNIT_SECONDS: Readonly<Record<string, number>> = {
  S: 1,
  M: 60,
  H: 3600,
  D: 86_400,
};

// Python's suffixes and the patterns that recognise them among old files.
const SUFFIXES: Readonly<Record<string, [string, RegExp]>> = {
  S: ["%Y-%m-%d_%H-%M-%S", /^\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}$/],
  M: ["%Y-%m-%d_%H-%M", /^\d{4}-\d{2}-\d{2}_\d{2}-\d{2}$/],
  H: ["%Y-%m-%d_%H", /^\d{4}-\d{2}-\d{2}_\d{2}$/],
  D: ["%Y-%m-%d", /^\d{4}-\d{2}-\d{2}$/],
};

/** Reads Python's `when` (any case); undefined when it is not one. */
export function parseWhen(text: string): RolloverWhen | undefined {
  const when = text.toUpperCase();
  if (when in UNIT_SECONDS || when === "MIDNIGHT") return when as RolloverWhen;
  if (/^W[0-6]$/.test(when)) return when as RolloverWhen;
  return undefined;
}

function unit(when: RolloverWhen): string {
  return when in UNIT_SECONDS ? when : "D";
}

/** Python's `suffix` for `when`: the strftime pattern after `app.log.`. */
export function suffixPattern(when: RolloverWhen): string {
  return SUFFIXES[unit(when)][0];
}

/**
 * When the period that contains `time` ends: Python's `computeRollover`,
 * always later than `time`. S/M/H/D count from `time` itself; MIDNIGHT
 * and W0-W6 roll at the next `atTime` (midnight by default), on the given
 * weekday for W, and every `interval` days or weeks, as Python 3.13 does.
 * Day boundaries are wall-clock ones, so a DST change moves nothing.
 *
 * @param time Milliseconds since the epoch.
 * @returns The rollover time, in milliseconds since the epoch.
 */
export function nextRollover(time: number, schedule: TimedSchedule): number {
  const { when, interval } = schedule;
  if (when in UNIT_SECONDS) {
    // Python works in whole seconds (int(time.time())).
    return (Math.floor(time / 1000) + UNIT_SECONDS[when] * interval) * 1000;
  }
  const clock = wallClock(schedule.utc);
  const at = schedule.atTime ?? { hour: 0, minute: 0, second: 0 };
  const now = clock.fields(time);
  let days = 0;
  let candidate = clock.make(now.year, now.month, now.day, at);
  if (candidate <= time) {
    days = 1;
    candidate = clock.make(now.year, now.month, now.day + 1, at);
  }
  let extraDays = interval - 1;
  if (when.startsWith("W")) {
    const weekday = (clock.fields(candidate).weekday + 6) % 7; // 0 is Monday
    extraDays = (Number(when[1]) - weekday + 7) % 7 + 7 * (interval - 1);
  }
  if (extraDays === 0) return candidate;
  return clock.make(now.year, now.month, now.day + days + extraDays, at);
}

/**
 * The start of the period that ends at `rolloverAt`: what Python names the
 * rolled-over file after (`rolloverAt - interval`, in wall-clock days for
 * MIDNIGHT and weekly rollovers).
 */
export function periodStart(
  rolloverAt: number,
  schedule: TimedSchedule,
): number {
  const { when, interval } = schedule;
  if (when in UNIT_SECONDS) {
    return rolloverAt - UNIT_SECONDS[when] * interval * 1000;
  }
  const clock = wallClock(schedule.utc);
  const end = clock.fields(rolloverAt);
  const days = when === "MIDNIGHT" ? interval : 7 * interval;
  return clock.make(end.year, end.month, end.day - days, {
    hour: end.hour,
    minute: end.minute,
    second: end.second,
  });
}

/** The name a file rolled over at `rolloverAt` gets: `path.2024-05-01_13`. */
export function rolledOverName(
  path: string,
  rolloverAt: number,
  schedule: TimedSchedule,
): string {
  const start = periodStart(rolloverAt, schedule);
  const fields = wallClock(schedule.utc).fields(start);
  const values: Record<string, string> = {
    Y: String(fields.year).padStart(4, "0"),
    m: pad(fields.month + 1),
    d: pad(fields.day),
    H: pad(fields.hour),
    M: pad(fields.minute),
    S: pad(fields.second),
  };
  const suffix = suffixPattern(schedule.when).replace(
    /%([YmdHMS])/g,
    (_, code: string) => values[code],
  );
  return `${path}.${suffix}`;
}

/**
 * Which of `names` (the entries of the log file's directory) are this
 * handler's old files, oldest first, beyond the newest `backupCount`:
 * Python's `getFilesToDelete`. A name is `BASE.SUFFIX`, optionally with
 * more dotted parts after it (`app.log.2024-05-01.gz`).
 */
export function backupsToDelete(
  base: string,
  names: readonly string[],
  when: RolloverWhen,
  backupCount: number,
): string[] {
  const pattern = SUFFIXES[unit(when)][1];
  const prefix = `${base}.`;
  const backups = names
    .filter((name) =>
      name.startsWith(prefix) &&
      name.slice(prefix.length).split(".").some((part) => pattern.test(part))
    )
    .sort();
  return backups.slice(0, Math.max(0, backups.length - backupCount));
}

function pad(value: number): string {
  return String(value).padStart(2, "0");
}

interface Fields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

interface WallClock {
  fields(time: number): Fields;
  make(year: number, month: number, day: number, at: TimeOfDay): number;
}

const LOCAL: WallClock = {
  fields(time) {
    const date = new Date(time);
    return {
      year: date.getFullYear(),
      month: date.getMonth(),
      day: date.getDate(),
      hour: date.getHours(),
      minute: date.getMinutes(),
      second: date.getSeconds(),
      weekday: date.getDay(),
    };
  },
  make: (year, month, day, at) =>
    new Date(year, month, day, at.hour, at.minute, at.second).getTime(),
};

const UTC: WallClock = {
  fields(time) {
    const date = new Date(time);
    return {
      year: date.getUTCFullYear(),
      month: date.getUTCMonth(),
      day: date.getUTCDate(),
      hour: date.getUTCHours(),
      minute: date.getUTCMinutes(),
      second: date.getUTCSeconds(),
      weekday: date.getUTCDay(),
    };
  },
  make: (year, month, day, at) =>
    Date.UTC(year, month, day, at.hour, at.minute, at.second),
};

function wallClock(utc: boolean): WallClock {
  return utc ? UTC : LOCAL;
}
