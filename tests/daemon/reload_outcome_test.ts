// The reload outcome file beside the pidfile, shared by `aio run`, the
// worker supervisor and `aio reload`.
import { deepEqual, equal } from "node:assert/strict";
import {
  answersSignal,
  errorLines,
  parseReloadOutcome,
  printedLine,
  readReloadOutcome,
  type ReloadOutcome,
  reloadOutcomePath,
  removeReloadOutcome,
  writeReloadOutcome,
} from "../../src/daemon/reload_outcome.ts";
import { ConfigError } from "../../src/config/errors.ts";
import { ConfigErrors } from "../../src/errors.ts";

const outcome: ReloadOutcome = {
  seq: 3,
  outcome: "failed",
  errors: ["aio.conf:2: [aio] shutdown_timeout: bad"],
  finishedAt: "2025-01-01T00:00:00.000Z",
  pid: 4242,
};

Deno.test("written whole beside the pidfile, read back; absent reads as undefined; removed with the pidfile", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aio_outcome_" });
  try {
    const pidfile = `${dir}/aio.pid`;
    equal(await readReloadOutcome(pidfile), undefined);
    await writeReloadOutcome(pidfile, outcome);
    equal(reloadOutcomePath(pidfile), `${dir}/aio.pid.reload.json`);
    deepEqual(
      JSON.parse(await Deno.readTextFile(`${dir}/aio.pid.reload.json`)),
      outcome,
    );
    deepEqual(await readReloadOutcome(pidfile), outcome);
    await writeReloadOutcome(pidfile, { ...outcome, seq: 4 });
    equal((await readReloadOutcome(pidfile))?.seq, 4);
    // Nothing but the outcome is left in the directory (no temporary file).
    deepEqual([...Deno.readDirSync(dir)].map((entry) => entry.name), [
      "aio.pid.reload.json",
    ]);
    removeReloadOutcome(pidfile);
    equal(await readReloadOutcome(pidfile), undefined);
    removeReloadOutcome(pidfile); // absent: no error
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a file that is not an outcome is no outcome", () => {
  equal(parseReloadOutcome("{"), undefined);
  equal(parseReloadOutcome("null"), undefined);
  equal(
    parseReloadOutcome(JSON.stringify({ ...outcome, outcome: "maybe" })),
    undefined,
  );
  equal(
    parseReloadOutcome(JSON.stringify({ ...outcome, errors: [1] })),
    undefined,
  );
  deepEqual(parseReloadOutcome(JSON.stringify(outcome)), outcome);
});

Deno.test("an outcome answers a SIGHUP when it is the signalled pid's, and later than the one read before", () => {
  equal(answersSignal(undefined, undefined, 4242), false);
  equal(answersSignal(outcome, undefined, 4242), true);
  equal(answersSignal(outcome, outcome, 4242), false);
  equal(answersSignal({ ...outcome, seq: 4 }, outcome, 4242), true);
  equal(answersSignal(outcome, undefined, 7), false, "another process's");
  // The file before was an earlier process's: any outcome of ours answers.
  equal(
    answersSignal({ ...outcome, seq: 1 }, { ...outcome, pid: 7 }, 4242),
    true,
  );
});

Deno.test("problems become one line each: config errors as FILE:LINE, others marked; printed as aio check prints them", () => {
  const first = new ConfigError("[aio] modules: no module", {
    source: "aio.conf",
    line: 2,
  });
  const second = new ConfigError("[server/x] port: bad", {
    source: "aio.conf",
    line: 9,
  });
  const lines = errorLines([
    new ConfigErrors([first, second]),
    new Error("Cannot listen on 127.0.0.1:80: in use\nmore"),
  ]);
  deepEqual(lines, [
    "aio.conf:2: [aio] modules: no module",
    "aio.conf:9: [server/x] port: bad",
    "error: Cannot listen on 127.0.0.1:80: in use",
  ]);
  deepEqual(lines.map(printedLine), [
    "aio: config error: aio.conf:2: [aio] modules: no module",
    "aio: config error: aio.conf:9: [server/x] port: bad",
    "aio: error: Cannot listen on 127.0.0.1:80: in use",
  ]);
});
