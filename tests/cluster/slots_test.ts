import assert from "node:assert/strict";
import { cronSlot, everySlot, nextEveryDue } from "../../src/cluster/slots.ts";

Deno.test("slots: the every grid is anchored on the epoch, not on a start time", () => {
  const period = 200;
  // Two nodes started at different times agree on due times and slots.
  const a = nextEveryDue(1_700_000_000_013, period);
  const b = nextEveryDue(1_700_000_000_187, period);
  assert.equal(a, 1_700_000_000_200);
  assert.equal(b, a);
  assert.equal(everySlot(a, period), 8_500_000_001);
  // A due time on the grid is its own next due time.
  assert.equal(nextEveryDue(a, period), a);
});

Deno.test("slots: consecutive due times give consecutive slots despite float error", () => {
  const period = 100; // every = 0.1
  let due = nextEveryDue(1_700_000_000_001, period);
  const first = everySlot(due, period);
  for (let i = 1; i <= 10_000; i++) {
    due += 0.1 * 1000;
    assert.equal(everySlot(due, period), first + i);
  }
  // A period that is not a whole number of ms.
  const third = 1000 / 3;
  const start = nextEveryDue(1_700_000_000_000, third);
  assert.equal(everySlot(start + third, third), everySlot(start, third) + 1);
});

Deno.test("slots: a cron slot is the scheduled time", () => {
  const at = new Date("2030-01-01T03:00:00Z");
  assert.equal(cronSlot(at), at.getTime());
  assert.equal(cronSlot(at.getTime()), at.getTime());
});
