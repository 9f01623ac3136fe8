import { deepEqual } from "node:assert/strict";
import { Backoff } from "../../src/workers/backoff.ts";

Deno.test("restart delays double from 0.1 s up to 30 s", () => {
  const backoff = new Backoff();
  const delays = Array.from({ length: 12 }, () => backoff.next(0));
  deepEqual(delays, [
    100,
    200,
    400,
    800,
    1600,
    3200,
    6400,
    12800,
    25600,
    30000,
    30000,
    30000,
  ]);
});

Deno.test("a worker that stayed up 10 s starts the delays over; a shorter life does not", () => {
  const backoff = new Backoff();
  deepEqual([backoff.next(0), backoff.next(0), backoff.next(0)], [
    100,
    200,
    400,
  ]);
  deepEqual(backoff.next(9_999), 800);
  deepEqual(backoff.next(10_000), 100);
  deepEqual(backoff.next(50), 200);
});

Deno.test("the bounds can be set", () => {
  const backoff = new Backoff({ initialMs: 10, maxMs: 25, resetAfterMs: 5 });
  deepEqual([
    backoff.next(0),
    backoff.next(0),
    backoff.next(0),
    backoff.next(5),
  ], [
    10,
    20,
    25,
    10,
  ]);
});
