/**
 * Python's `time.strftime` for log timestamps, in local time, with a
 * per-second cache because a log line's clock rarely changes second.
 *
 * @module
 */

const DAYS = [
  "Sunday",
  "Monday",
  "Tuesday",
  "Wednesday",
  "Thursday",
  "Friday",
  "Saturday",
];
const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

/** Python's default `asctime` layout, before `,mmm` is added. */
export const DEFAULT_DATE_FORMAT = "%Y-%m-%d %H:%M:%S";

function pad(value: number, width: number, fill = "0"): string {
  return String(value).padStart(width, fill);
}

function dayOfYear(date: Date): number {
  const start = new Date(date.getFullYear(), 0, 1);
  const startUtc = Date.UTC(start.getFullYear(), 0, 1);
  const dateUtc = Date.UTC(date.getFullYear(), date.getMonth(), date.getDate());
  return Math.round((dateUtc - startUtc) / 86_400_000) + 1;
}

function weekNumber(date: Date, firstDay: number): number {
  const yday = dayOfYear(date) - 1;
  const wday = (date.getDay() + 7 - firstDay) % 7;
  return Math.floor((yday + 7 - wday) / 7);
}

function isoWeek(date: Date): { year: number; week: number } {
  const day = new Date(
    Date.UTC(date.getFullYear(), date.getMonth(), date.getDate()),
  );
  const weekday = day.getUTCDay() || 7;
  day.setUTCDate(day.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
  return {
    year: day.getUTCFullYear(),
    week: Math.ceil(((day.getTime() - yearStart) / 86_400_000 + 1) / 7),
  };
}

function offset(date: Date, colon: boolean): string {
  const minutes = -date.getTimezoneOffset();
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60), 2)}${colon ? ":" : ""}${
    pad(abs % 60, 2)
  }`;
}

function zoneName(date: Date): string {
  const part = new Intl.DateTimeFormat("en-US", { timeZoneName: "short" })
    .formatToParts(date)
    .find((item) => item.type === "timeZoneName");
  return part?.value ?? offset(date, false);
}

function hour12(date: Date): number {
  return date.getHours() % 12 || 12;
}

type Code = (date: Date) => string;

const CODES: Record<string, Code> = {
  a: (d) => DAYS[d.getDay()].slice(0, 3),
  A: (d) => DAYS[d.getDay()],
  b: (d) => MONTHS[d.getMonth()].slice(0, 3),
  B: (d) => MONTHS[d.getMonth()],
  c: (d) => format(d, "%a %b %e %H:%M:%S %Y"),
  C: (d) => pad(Math.floor(d.getFullYear() / 100), 2),
  d: (d) => pad(d.getDate(), 2),
  D: (d) => format(d, "%m/%d/%y"),
  e: (d) => pad(d.getDate(), 2, " "),
  f: (d) => pad(d.getMilliseconds() * 1000, 6),
  F: (d) => format(d, "%Y-%m-%d"),
  G: (d) => String(isoWeek(d).year),
  h: (d) => MONTHS[d.getMonth()].slice(0, 3),
  H: (d) => pad(d.getHours(), 2),
  I: (d) => pad(hour12(d), 2),
  j: (d) => pad(dayOfYear(d), 3),
  k: (d) => pad(d.getHours(), 2, " "),
  l: (d) => pad(hour12(d), 2, " "),
  m: (d) => pad(d.getMonth() + 1, 2),
  M: (d) => pad(d.getMinutes(), 2),
  n: () => "\n",
  p: (d) => (d.getHours() < 12 ? "AM" : "PM"),
  R: (d) => format(d, "%H:%M"),
  s: (d) => String(Math.floor(d.getTime() / 1000)),
  S: (d) => pad(d.getSeconds(), 2),
  t: () => "\t",
  T: (d) => format(d, "%H:%M:%S"),
  u: (d) => String(d.getDay() || 7),
  U: (d) => pad(weekNumber(d, 0), 2),
  V: (d) => pad(isoWeek(d).week, 2),
  w: (d) => String(d.getDay()),
  W: (d) => pad(weekNumber(d, 1), 2),
  x: (d) => format(d, "%m/%d/%y"),
  X: (d) => format(d, "%H:%M:%S"),
  y: (d) => pad(d.getFullYear() % 100, 2),
  Y: (d) => String(d.getFullYear()),
  z: (d) => offset(d, false),
  Z: (d) => zoneName(d),
  "%": () => "%",
};

function format(date: Date, pattern: string): string {
  return pattern.replace(/%(.)/gs, (whole, code: string) => {
    const render = CODES[code];
    // glibc leaves a code it does not know as written; so does Python on Linux.
    return render ? render(date) : whole;
  });
}

/**
 * Formats `timestamp` (ms since the epoch) with strftime codes in local time,
 * as Python's `time.strftime(pattern, time.localtime(t))` does (plus `%f`,
 * microseconds, as `datetime` has it).
 *
 * @example
 * ```ts
 * strftime(Date.UTC(2024, 0, 2), "%Y-%m-%d"); // "2024-01-02" in a UTC zone
 * ```
 */
export function strftime(timestamp: number, pattern: string): string {
  return format(new Date(timestamp), pattern);
}

/**
 * A strftime function for one pattern that reuses its last answer while the
 * second stays the same (unless the pattern shows sub-second time).
 */
export function cachedStrftime(pattern: string): (timestamp: number) => string {
  if (/%f/.test(pattern.replaceAll("%%", ""))) {
    return (timestamp) => strftime(timestamp, pattern);
  }
  let lastSecond = NaN;
  let lastText = "";
  return (timestamp) => {
    const second = Math.floor(timestamp / 1000);
    if (second !== lastSecond) {
      lastSecond = second;
      lastText = strftime(timestamp, pattern);
    }
    return lastText;
  };
}
