// Reloads never overlap; requests made while one runs share one more run.
import { deepEqual, equal } from "node:assert/strict";
import { Coalescing } from "../../src/reload/coalesce.ts";

/** A task whose runs the test ends one by one. */
function steppedTask() {
  const log: string[] = [];
  const ends: (() => void)[] = [];
  let runs = 0;
  const task = async () => {
    const run = ++runs;
    log.push(`start ${run}`);
    await new Promise<void>((resolve) => ends.push(resolve));
    log.push(`end ${run}`);
    return run;
  };
  const waitForStart = async (count: number) => {
    while (ends.length < count) await new Promise((r) => setTimeout(r, 1));
  };
  return { task, log, ends, waitForStart };
}

Deno.test("requests during a run queue one more run, shared by all of them; none overlaps", async () => {
  const { task, log, ends, waitForStart } = steppedTask();
  const reloads = new Coalescing(task);
  const first = reloads.request();
  await waitForStart(1);
  const second = reloads.request();
  const third = reloads.request();
  equal(reloads.queued, true);
  ends[0]();
  equal(await first, 1);
  await waitForStart(2);
  const fourth = reloads.request(); // asked after run 2 began: run 3
  ends[1]();
  equal(await second, 2);
  equal(await third, 2);
  await waitForStart(3);
  ends[2]();
  equal(await fourth, 3);
  deepEqual(log, ["start 1", "end 1", "start 2", "end 2", "start 3", "end 3"]);
  equal(reloads.running, undefined);
});

Deno.test("a run that fails does not stop the queued one, and its request gets the failure", async () => {
  let runs = 0;
  const reloads = new Coalescing(async () => {
    runs++;
    await Promise.resolve();
    if (runs === 1) throw new Error("first fails");
    return runs;
  });
  const first = reloads.request();
  const second = reloads.request();
  const error = await first.then(() => undefined, (error: Error) => error);
  equal(error?.message, "first fails");
  equal(await second, 2);
});
