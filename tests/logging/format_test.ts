import assert from "node:assert/strict";
import type { LogRecord } from "@logtape/logtape";
import { strftime } from "../../src/logging/_strftime.ts";
import {
  compileTextFormatter,
  FormatSyntaxError,
  jsonFormatter,
} from "../../src/logging/_format.ts";

// Local times, so the expected text is the same in every time zone.
const FRIDAY = new Date(2024, 0, 5, 14, 3, 9, 42).getTime();
const NEW_YEARS_EVE = new Date(2023, 11, 31, 0, 0, 0).getTime();

function record(fields: Partial<LogRecord> = {}): LogRecord {
  return {
    category: ["aio", "web"],
    level: "info",
    message: ["Hello"],
    rawMessage: "Hello",
    timestamp: FRIDAY,
    properties: {},
    ...fields,
  };
}

Deno.test("strftime matches CPython's time.strftime on glibc", () => {
  // Expected texts printed by CPython 3.11 for the same local times.
  assert.equal(
    strftime(
      FRIDAY,
      "%a %A %b %B %j %I %p %y %e %U %W %w %u %V %G %C %D %F %T %R %c %x %X %Q %%",
    ),
    "Fri Friday Jan January 005 02 PM 24  5 00 01 5 5 01 2024 20 01/05/24 2024-01-05 14:03:09 14:03 Fri Jan  5 14:03:09 2024 01/05/24 14:03:09 %Q %",
  );
  assert.equal(
    strftime(NEW_YEARS_EVE, "%U %W %V %G %j %I %p"),
    "53 52 52 2023 365 12 AM",
  );
  assert.equal(strftime(FRIDAY, "%S.%f"), "09.042000");
  assert.match(strftime(FRIDAY, "%z"), /^[+-]\d{4}$/);
  const offset = -new Date(FRIDAY).getTimezoneOffset();
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  assert.equal(
    strftime(FRIDAY, "%z"),
    `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}${
      String(abs % 60).padStart(2, "0")
    }`,
  );
});

Deno.test("asctime defaults to Python's YYYY-MM-DD HH:MM:SS,mmm", () => {
  const format = compileTextFormatter("%(asctime)s");
  assert.equal(format(record()), "2024-01-05 14:03:09,042");
  assert.equal(
    format(record({ timestamp: FRIDAY + 1000 })),
    "2024-01-05 14:03:10,042",
  );
});

Deno.test("%-placeholders follow Python's % operator", () => {
  const format = compileTextFormatter(
    "%(created)e|%(created)10.3E|%(levelno)x|%(levelno)X|%(levelno)o|%(levelno)-6d|%(levelno)06d|%(levelno)+d|%(levelno) d|%(levelno)c|%(name)r|%(name)10s|%(name)-10s|",
  );
  // CPython's '%(a)e' % {'a': 1704463389.042} and friends.
  const expected = [
    "1.704463e+09",
    " 1.704E+09",
    "14",
    "14",
    "24",
    "20    ",
    "000020",
    "+20",
    " 20",
    "\x14",
    "'aio.web'",
    "   aio.web",
    "aio.web   ",
    "",
  ].join("|");
  assert.equal(format(record({ timestamp: 1704463389042 })), expected);
});

Deno.test("format errors name the placeholder and its column", () => {
  const cases: [string, RegExp][] = [
    ["%(nope)s", /^unknown field %\(nope\)s at column 1: use one of asctime, /],
    ["x %(message)", /^placeholder %\(message\) at column 3 has no type/],
    ["100% done", /^bad placeholder at column 4: write %\(name\)s, or %% /],
    ["%(name)d", /^field %\(name\)d at column 1 is text: write %\(name\)s$/],
  ];
  for (const [pattern, message] of cases) {
    assert.throws(() => compileTextFormatter(pattern), (error) => {
      assert.ok(error instanceof FormatSyntaxError, pattern);
      assert.match(error.message, message, pattern);
      return true;
    });
  }
});

Deno.test("colour wraps the level name only", () => {
  const format = compileTextFormatter("%(levelname)-8s|%(message)s", {
    color: true,
  });
  assert.equal(
    format(record({ level: "error" })),
    "\x1b[31mERROR   \x1b[0m|Hello",
  );
  assert.equal(
    format(record({ level: "fatal" })),
    "\x1b[1;31mCRITICAL\x1b[0m|Hello",
  );
});

Deno.test("json: cycles fall back to inspected text", () => {
  const cycle: Record<string, unknown> = { name: "loop" };
  cycle.self = cycle;
  const line = JSON.parse(
    jsonFormatter(record({ properties: { cycle, big: 10n } })),
  );
  assert.equal(line.message, "Hello");
  assert.equal(line.properties.big, "10");
  assert.match(
    line.properties.cycle,
    /^<ref \*1> \{ name: "loop", self: \[Circular \*1\] \}$/,
  );
});
