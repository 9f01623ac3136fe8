// TimedRotatingFileHandler's arithmetic, on fixed timestamps (no waiting).
import assert from "node:assert/strict";
import {
  backupsToDelete,
  nextRollover,
  parseWhen,
  rolledOverName,
  type TimedSchedule,
} from "../../src/logging/_rotation.ts";

const utc = (text: string) => Date.parse(`${text}Z`);
const schedule = (
  when: TimedSchedule["when"],
  interval = 1,
  extra: Partial<TimedSchedule> = {},
): TimedSchedule => ({ when, interval, utc: true, ...extra });

Deno.test("when: Python's units in any case; anything else is refused", () => {
  assert.equal(parseWhen("s"), "S");
  assert.equal(parseWhen("midnight"), "MIDNIGHT");
  assert.equal(parseWhen("w6"), "W6");
  for (const bad of ["W7", "X", "", "hours", "W"]) {
    assert.equal(parseWhen(bad), undefined, bad);
  }
});

Deno.test("S/M/H/D roll over interval units after the start, in whole seconds", () => {
  const start = utc("2024-05-01T10:20:30.750");
  assert.equal(
    nextRollover(start, schedule("S", 5)),
    utc("2024-05-01T10:20:35"),
  );
  assert.equal(
    nextRollover(start, schedule("M", 2)),
    utc("2024-05-01T10:22:30"),
  );
  assert.equal(nextRollover(start, schedule("H")), utc("2024-05-01T11:20:30"));
  assert.equal(
    nextRollover(start, schedule("D", 3)),
    utc("2024-05-04T10:20:30"),
  );
});

Deno.test("MIDNIGHT rolls at the next midnight, or atTime, every interval days", () => {
  const start = utc("2024-05-01T10:20:30");
  assert.equal(
    nextRollover(start, schedule("MIDNIGHT")),
    utc("2024-05-02T00:00:00"),
  );
  assert.equal(
    nextRollover(start, schedule("MIDNIGHT", 2)),
    utc("2024-05-03T00:00:00"),
  );
  const at = { hour: 12, minute: 0, second: 0 };
  assert.equal(
    nextRollover(start, schedule("MIDNIGHT", 1, { atTime: at })),
    utc("2024-05-01T12:00:00"),
  );
  const early = { hour: 3, minute: 30, second: 0 };
  assert.equal(
    nextRollover(start, schedule("MIDNIGHT", 1, { atTime: early })),
    utc("2024-05-02T03:30:00"),
  );
  // Exactly at the time: the next one, never now.
  assert.equal(
    nextRollover(utc("2024-05-02T00:00:00"), schedule("MIDNIGHT")),
    utc("2024-05-03T00:00:00"),
  );
});

Deno.test("W0-W6 roll on that weekday (0 is Monday)", () => {
  // 2024-05-01 is a Wednesday.
  const wednesday = utc("2024-05-01T10:00:00");
  assert.equal(
    nextRollover(wednesday, schedule("W0")),
    utc("2024-05-06T00:00:00"),
  );
  assert.equal(
    nextRollover(wednesday, schedule("W3")),
    utc("2024-05-02T00:00:00"),
  );
  assert.equal(
    nextRollover(wednesday, schedule("W0", 2)),
    utc("2024-05-13T00:00:00"),
  );
  // Wednesday at noon, before the 18:00 rollover of that day.
  const at = { hour: 18, minute: 0, second: 0 };
  assert.equal(
    nextRollover(wednesday, schedule("W2", 1, { atTime: at })),
    utc("2024-05-01T18:00:00"),
  );
});

Deno.test("local time: midnight is the wall clock's, across a DST change (Europe/Berlin)", async () => {
  // The zone is the process's, so the check runs in a child under TZ.
  const script = `
    import { nextRollover, rolledOverName } from ${
    JSON.stringify(
      new URL("../../src/logging/_rotation.ts", import.meta.url).href,
    )
  };
    const local = { when: "MIDNIGHT", interval: 1, utc: false };
    const first = nextRollover(new Date(2024, 2, 30, 15).getTime(), local);
    const second = nextRollover(first, local);
    const hourly = { when: "H", interval: 1, utc: false };
    console.log(JSON.stringify({
      first: new Date(first).toString(),
      day: (second - first) / 3600000,
      name: rolledOverName("app.log", second, local),
      hourName: rolledOverName("app.log", Date.UTC(2024, 2, 31, 1), hourly),
    }));`;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    env: { TZ: "Europe/Berlin" },
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const result = JSON.parse(new TextDecoder().decode(stdout));
  assert.match(result.first, /^Sun Mar 31 2024 00:00:00 GMT\+0100/);
  assert.equal(result.day, 23); // the night the clocks go forward
  assert.equal(result.name, "app.log.2024-03-31");
  // 01:00 UTC is 03:00 CEST; the hour before it began at 01:00 CET.
  assert.equal(result.hourName, "app.log.2024-03-31_01");
});

Deno.test("the rolled-over file is named for the start of its period, with Python's suffixes", () => {
  const path = "/var/log/app.log";
  assert.equal(
    rolledOverName(path, utc("2024-05-01T10:20:35"), schedule("S", 5)),
    "/var/log/app.log.2024-05-01_10-20-30",
  );
  assert.equal(
    rolledOverName(path, utc("2024-05-01T10:22:30"), schedule("M", 2)),
    "/var/log/app.log.2024-05-01_10-20",
  );
  assert.equal(
    rolledOverName(path, utc("2024-05-01T11:00:00"), schedule("H")),
    "/var/log/app.log.2024-05-01_10",
  );
  assert.equal(
    rolledOverName(path, utc("2024-05-02T00:00:00"), schedule("MIDNIGHT")),
    "/var/log/app.log.2024-05-01",
  );
  assert.equal(
    rolledOverName(path, utc("2024-05-13T00:00:00"), schedule("W0")),
    "/var/log/app.log.2024-05-06",
  );
});

Deno.test("old files beyond backupCount are chosen oldest first; others are left alone", () => {
  const names = [
    "app.log",
    "app.log.2024-05-03",
    "app.log.2024-05-01",
    "app.log.2024-05-02.gz",
    "app.log.2024-05-04",
    "app.log.1",
    "app.log.notes",
    "other.log.2024-05-01",
    "app.log.2024-05-01_10",
  ];
  assert.deepEqual(backupsToDelete("app.log", names, "MIDNIGHT", 2), [
    "app.log.2024-05-01",
    "app.log.2024-05-02.gz",
  ]);
  assert.deepEqual(backupsToDelete("app.log", names, "D", 10), []);
  assert.deepEqual(backupsToDelete("app.log", names, "H", 0), [
    "app.log.2024-05-01_10",
  ]);
});
