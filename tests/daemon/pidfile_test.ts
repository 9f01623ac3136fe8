// The pidfile's lock: one holder at a time, stale files taken over, the
// holder's exit seen from outside.
import { equal, ok, rejects } from "node:assert/strict";
import {
  AlreadyRunning,
  Pidfile,
  PidfileProbe,
} from "../../src/daemon/pidfile.ts";
import { parseStartReport } from "../../src/daemon/child.ts";

async function tempPath(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "aio_pidfile_" });
  return `${dir}/run/aio.pid`;
}

Deno.test("acquire creates the directory, writes the pid and holds the lock; a second acquire is refused naming it", async () => {
  const path = await tempPath();
  const pidfile = await Pidfile.acquire(path);
  try {
    equal(await Deno.readTextFile(path), `${Deno.pid}\n`);
    await rejects(Pidfile.acquire(path), AlreadyRunning);
    const probe = await PidfileProbe.open(path);
    probe.close();
    equal(probe.state.state, "running");
    equal(probe.state.state === "running" && probe.state.pid, Deno.pid);
  } finally {
    pidfile.release();
  }
  const after = await PidfileProbe.open(path);
  after.close();
  equal(after.state.state, "absent");
});

Deno.test("of many acquires at once exactly one wins", async () => {
  const path = await tempPath();
  const results = await Promise.allSettled(
    Array.from({ length: 16 }, () => Pidfile.acquire(path)),
  );
  const won = results.filter((result) => result.status === "fulfilled");
  equal(won.length, 1);
  for (const result of results) {
    if (result.status === "rejected") {
      ok(result.reason instanceof AlreadyRunning);
      equal(result.reason.pid, Deno.pid);
    }
  }
  (won[0] as PromiseFulfilledResult<Pidfile>).value.release();
});

Deno.test("a pidfile whose lock is free is stale, whatever it names, and is taken over", async () => {
  const path = await tempPath();
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")));
  await Deno.writeTextFile(path, "1\n");
  const probe = await PidfileProbe.open(path);
  probe.close();
  equal(probe.state.state, "stale");
  equal(probe.state.state === "stale" && probe.state.pid, 1);
  const pidfile = await Pidfile.acquire(path);
  equal(await Deno.readTextFile(path), `${Deno.pid}\n`);
  pidfile.release();
});

Deno.test("waitForRelease sees the holder let go, and times out while it holds on", async () => {
  const path = await tempPath();
  const pidfile = await Pidfile.acquire(path);
  const probe = await PidfileProbe.open(path);
  try {
    equal(await probe.waitForRelease(100), false);
    setTimeout(() => pidfile.release(), 100);
    equal(await probe.waitForRelease(5000), true);
  } finally {
    probe.close();
    pidfile.release();
  }
});

Deno.test("start reports: whole ones parse, partial ones do not", () => {
  equal(parseStartReport("started\n")?.outcome, "started");
  const failed = parseStartReport(
    "failed 78\naio: config error: a\naio: config error: b\n",
  );
  equal(failed?.outcome, "failed");
  equal(failed?.outcome === "failed" && failed.exitCode, 78);
  equal(
    failed?.outcome === "failed" && failed.text,
    "aio: config error: a\naio: config error: b",
  );
  equal(parseStartReport(""), undefined);
  equal(parseStartReport("start"), undefined);
});
