// The stop-signal count, the cancellable waits of start-up, and uptimes.
import { deepEqual, equal, rejects } from "node:assert/strict";
import {
  SAME_SIGNAL_WINDOW_MS,
  StopSignalCounter,
} from "../src/process_signals.ts";
import { StartInterrupted, untilAborted } from "../src/interrupt.ts";
import { formatUptime } from "../src/commands/status.ts";

Deno.test("a stop signal within 500 ms of the first is the same; a later one forces", () => {
  const counter = new StopSignalCounter();
  equal(counter.classify(10_000), "stop");
  equal(counter.classify(10_000), "same");
  equal(counter.classify(10_000 + SAME_SIGNAL_WINDOW_MS - 1), "same");
  equal(counter.classify(10_000 + SAME_SIGNAL_WINDOW_MS), "force");
  equal(counter.classify(20_000), "force");
  equal(counter.firstAt, 10_000);
});

Deno.test("untilAborted: an abort wins over a wait that never ends, and names what was loading", async () => {
  const controller = new AbortController();
  const waiting = untilAborted(
    new Promise<never>(() => {}),
    controller.signal,
    () => "importing ./hang.ts",
  );
  controller.abort();
  await rejects(waiting, StartInterrupted);
  await untilAborted(Promise.resolve(1), controller.signal, () => "x").then(
    () => {
      throw new Error("an aborted signal must win");
    },
    (error: StartInterrupted) => equal(error.loading, "x"),
  );
});

Deno.test("untilAborted hands a value that comes after the abort to onLate", async () => {
  const controller = new AbortController();
  let resolve!: (value: string) => void;
  const late = new Promise<string>((r) => resolve = r);
  const closed: string[] = [];
  const waiting = untilAborted(
    late,
    controller.signal,
    () => "binding",
    (value) => closed.push(value),
  );
  controller.abort();
  await rejects(waiting, StartInterrupted);
  resolve("server");
  await late;
  await Promise.resolve();
  deepEqual(closed, ["server"]);
});

Deno.test("untilAborted passes values and errors through when nothing aborts", async () => {
  const signal = new AbortController().signal;
  equal(await untilAborted(Promise.resolve(7), signal, () => "x"), 7);
  await rejects(
    untilAborted(Promise.reject(new Error("no")), signal, () => "x"),
    /no/,
  );
});

Deno.test("uptimes read largest unit first", () => {
  equal(formatUptime(0), "0s");
  equal(formatUptime(59_999), "59s");
  equal(formatUptime(3_723_000), "1h 2m 3s");
  equal(formatUptime(90_061_000), "1d 1h 1m 1s");
  equal(formatUptime(7_200_000), "2h");
});
