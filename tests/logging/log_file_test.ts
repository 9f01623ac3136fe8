// LogFile on real files: rotation by size and by time (on a fake clock),
// reopening, watching, and a destination that cannot be written.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  LogFile,
  type LogFileSpec,
  MAX_PENDING_BYTES,
} from "../../src/logging/_log_file.ts";
import { capture } from "./_helpers.ts";

const encoder = new TextEncoder();

async function withDir(fn: (dir: string) => Promise<void> | void) {
  const dir = await Deno.makeTempDir({ prefix: "aio_log_file_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function spec(path: string, rotation: LogFileSpec["rotation"]): LogFileSpec {
  return { path, mode: "a", delay: false, rotation };
}

function line(n: number): Uint8Array {
  return encoder.encode(`line ${String(n).padStart(4, "0")}\n`);
}

function listing(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of Deno.readDirSync(dir)) {
    if (entry.isFile) {
      files[entry.name] = Deno.readTextFileSync(join(dir, entry.name));
    }
  }
  return files;
}

/** Every `line NNNN` in the files, in file order: to count losses and doubles. */
function linesIn(contents: string[]): number[] {
  return contents.flatMap((text) =>
    [...text.matchAll(/^line (\d+)$/gm)].map((match) => Number(match[1]))
  );
}

const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("RotatingFileHandler: rollover before a write that would reach maxBytes; app.log.1 … app.log.N", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "app.log");
    const file = new LogFile(
      spec(path, { kind: "size", maxBytes: 100, backupCount: 3 }),
      { stderr: capture() },
    );
    for (let n = 1; n <= 50; n++) file.write(line(n));
    file.close();
    const files = listing(dir);
    assert.deepEqual(Object.keys(files).sort(), [
      "app.log",
      "app.log.1",
      "app.log.2",
      "app.log.3",
    ]);
    // 10-byte lines under maxBytes = 100: nine a file, the newest kept.
    assert.deepEqual(linesIn([files["app.log.1"]]), range(37, 45));
    assert.deepEqual(linesIn([files["app.log"]]), range(46, 50));
    assert.deepEqual(
      linesIn(
        ["app.log.3", "app.log.2", "app.log.1", "app.log"].map((name) =>
          files[name]
        ),
      ),
      range(19, 50),
    );
    for (const text of Object.values(files)) {
      assert.ok(encoder.encode(text).length < 100);
    }
    await matchesPython(dir, files);
  });
});

// The same 50 lines through CPython's RotatingFileHandler give the same files.
async function matchesPython(dir: string, files: Record<string, string>) {
  const script = `
import logging, logging.handlers, os, sys
path = os.path.join(sys.argv[1], "app.log")
handler = logging.handlers.RotatingFileHandler(path, "a", 100, 3)
handler.setFormatter(logging.Formatter("%(message)s"))
logger = logging.getLogger("x")
logger.addHandler(handler)
for n in range(1, 51):
    logger.warning("line %04d", n)
handler.close()
`;
  const pyDir = join(dir, "python");
  Deno.mkdirSync(pyDir);
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("python3", { args: ["-c", script, pyDir] })
      .output();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    console.log("python3 not found: skipping the comparison with CPython");
    return;
  }
  assert.ok(output.success, new TextDecoder().decode(output.stderr));
  assert.deepEqual(listing(pyDir), files);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

Deno.test("RotatingFileHandler: backupCount 0 or maxBytes 0 never rolls over; a record bigger than maxBytes still gets written", async () => {
  await withDir((dir) => {
    for (
      const [name, maxBytes, backupCount] of [
        ["a.log", 20, 0],
        ["b.log", 0, 3],
      ] as const
    ) {
      const file = new LogFile(
        spec(join(dir, name), { kind: "size", maxBytes, backupCount }),
        { stderr: capture() },
      );
      for (let n = 1; n <= 10; n++) file.write(line(n));
      file.close();
    }
    const big = new LogFile(
      spec(join(dir, "c.log"), { kind: "size", maxBytes: 5, backupCount: 2 }),
      { stderr: capture() },
    );
    big.write(line(1));
    big.write(line(2));
    big.close();
    const files = listing(dir);
    assert.deepEqual(Object.keys(files).sort(), [
      "a.log",
      "b.log",
      "c.log",
      "c.log.1",
    ]);
    assert.deepEqual(linesIn([files["a.log"]]), range(1, 10));
    assert.deepEqual(linesIn([files["c.log.1"], files["c.log"]]), [1, 2]);
  });
});

Deno.test("RotatingFileHandler: a rollover that fails is reported once and nothing is lost", async () => {
  await withDir((dir) => {
    const path = join(dir, "app.log");
    // A non-empty directory where app.log.1 must go: the rename fails.
    Deno.mkdirSync(`${path}.1`);
    Deno.writeTextFileSync(join(`${path}.1`, "keep"), "");
    const stderr = capture();
    const file = new LogFile(
      spec(path, { kind: "size", maxBytes: 30, backupCount: 1 }),
      { stderr },
    );
    for (let n = 1; n <= 20; n++) file.write(line(n));
    file.close();
    assert.equal(stderr.lines.length, 1, stderr.text);
    assert.match(
      stderr.lines[0],
      /^aio: error: cannot rotate log file .*app\.log: .*\(further errors suppressed for 60 s\)$/,
    );
    assert.deepEqual(linesIn([Deno.readTextFileSync(path)]), range(1, 20));
  });
});

Deno.test("TimedRotatingFileHandler on a fake clock: named for the period's start, backupCount kept", async () => {
  await withDir((dir) => {
    const path = join(dir, "app.log");
    let now = Date.parse("2024-05-01T10:00:00.200Z");
    const file = new LogFile(
      spec(path, {
        kind: "time",
        schedule: { when: "S", interval: 1, utc: true },
        backupCount: 2,
      }),
      { stderr: capture(), now: () => now },
    );
    file.write(line(1));
    now += 500;
    file.write(line(2)); // same second: no rollover
    for (let n = 3; n <= 5; n++) {
      now += 1000;
      file.write(line(n));
    }
    file.close();
    const files = listing(dir);
    // Rollovers at 10:00:01.7 (lines 1-2, named _00), 02.7 (line 3, _01)
    // and 03.7 (line 4, _02); backupCount 2 deleted the oldest.
    assert.deepEqual(Object.keys(files).sort(), [
      "app.log",
      "app.log.2024-05-01_10-00-01",
      "app.log.2024-05-01_10-00-02",
    ]);
    assert.deepEqual(linesIn([files["app.log.2024-05-01_10-00-01"]]), [3]);
    assert.deepEqual(linesIn([files["app.log.2024-05-01_10-00-02"]]), [4]);
    assert.deepEqual(linesIn([files["app.log"]]), [5]);
  });
});

Deno.test("TimedRotatingFileHandler: an old file rolls over at the first record, named for its last write", async () => {
  await withDir((dir) => {
    const path = join(dir, "app.log");
    Deno.writeTextFileSync(path, "line 0001\n");
    const written = Date.parse("2024-05-01T09:15:00Z");
    Deno.utimeSync(path, written / 1000, written / 1000);
    const now = Date.parse("2024-05-01T12:00:00Z");
    const file = new LogFile(
      spec(path, {
        kind: "time",
        schedule: { when: "H", interval: 1, utc: true },
        backupCount: 0,
      }),
      { stderr: capture(), now: () => now },
    );
    file.write(line(2));
    file.close();
    assert.deepEqual(listing(dir), {
      "app.log": "line 0002\n",
      "app.log.2024-05-01_09": "line 0001\n",
    });
  });
});

Deno.test("TimedRotatingFileHandler: a name already taken (the clock went back) is not overwritten", async () => {
  await withDir((dir) => {
    const path = join(dir, "app.log");
    Deno.writeTextFileSync(`${path}.2024-05-01_10-00-00`, "older\n");
    let now = Date.parse("2024-05-01T10:00:00.000Z");
    const file = new LogFile(
      spec(path, {
        kind: "time",
        schedule: { when: "S", interval: 1, utc: true },
        backupCount: 0,
      }),
      { stderr: capture(), now: () => now },
    );
    file.write(line(1));
    now += 1000;
    file.write(line(2));
    file.close();
    assert.deepEqual(listing(dir), {
      "app.log": "line 0001\nline 0002\n",
      "app.log.2024-05-01_10-00-00": "older\n",
    });
  });
});

Deno.test("reopen after mv: earlier lines in the moved file, later ones in a new file, none lost or doubled", async () => {
  await withDir((dir) => {
    const path = join(dir, "app.log");
    const file = new LogFile(spec(path, { kind: "none" }), {
      stderr: capture(),
    });
    for (let n = 1; n <= 10; n++) file.write(line(n));
    Deno.renameSync(path, `${path}.1`);
    for (let n = 11; n <= 20; n++) file.write(line(n)); // still the old file
    file.reopen();
    for (let n = 21; n <= 30; n++) file.write(line(n));
    file.close();
    const files = listing(dir);
    assert.deepEqual(linesIn([files["app.log.1"]]), range(1, 20));
    assert.deepEqual(linesIn([files["app.log"]]), range(21, 30));
    assert.equal(Deno.statSync(path).mode! & 0o777, 0o644);
  });
});

Deno.test("reopen creates a deleted file and its deleted directory", async () => {
  await withDir((dir) => {
    const path = join(dir, "logs", "app.log");
    const file = new LogFile(spec(path, { kind: "none" }), {
      stderr: capture(),
    });
    file.write(line(1));
    Deno.removeSync(join(dir, "logs"), { recursive: true });
    file.reopen();
    file.write(line(2));
    file.close();
    assert.equal(Deno.readTextFileSync(path), "line 0002\n");
  });
});

Deno.test("WatchedFileHandler follows a moved or deleted file at the next turn, without a signal", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "app.log");
    const file = new LogFile(spec(path, { kind: "watched" }), {
      stderr: capture(),
    });
    file.write(line(1));
    await turn();
    Deno.renameSync(path, `${path}.1`);
    await turn();
    file.write(line(2));
    file.write(line(3));
    await turn();
    Deno.removeSync(path);
    await turn();
    file.write(line(4));
    file.close();
    assert.deepEqual(listing(dir), {
      "app.log": "line 0004\n",
      "app.log.1": "line 0001\n",
    });
  });
});

Deno.test("a file that cannot be written: one line a minute, records kept and written in order once it can", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "app.log");
    const real = join(dir, "real.log");
    Deno.symlinkSync("/dev/full", path);
    const stderr = capture();
    let now = 1_000_000;
    const file = new LogFile(spec(path, { kind: "watched" }), {
      stderr,
      now: () => now,
    });
    for (let n = 1; n <= 100; n++) file.write(line(n));
    assert.deepEqual(stderr.lines, [
      `aio: error: cannot write log file ${path}: No space left on device (further errors suppressed for 60 s)`,
    ]);
    now += 30_000;
    await turn();
    file.write(line(101));
    assert.equal(stderr.lines.length, 1);
    now += 31_000;
    await turn();
    file.write(line(102));
    assert.equal(stderr.lines.length, 2);
    assert.match(
      stderr.lines[1],
      /No space left on device; \d+ more error\(s\) in the last 60 s \(further errors suppressed for 60 s\)$/,
    );
    // The operator points the log somewhere with room: the watched path
    // changed, so the next record reopens and everything kept is written.
    Deno.symlinkSync(real, `${path}.new`);
    Deno.renameSync(`${path}.new`, path);
    await turn();
    file.write(line(103));
    file.close();
    assert.deepEqual(linesIn([Deno.readTextFileSync(real)]), range(1, 103));
    assert.equal(
      stderr.lines[2],
      `aio: log file ${path} is writable again; no record was lost`,
    );
    assert.equal(stderr.lines.length, 3);
  });
});

Deno.test("kept records are bounded; what was dropped or never written is said once", async () => {
  await withDir((dir) => {
    const path = join(dir, "app.log");
    Deno.symlinkSync("/dev/full", path);
    const stderr = capture();
    const file = new LogFile(spec(path, { kind: "none" }), { stderr });
    const record = encoder.encode(`${"x".repeat(1023)}\n`);
    const count = MAX_PENDING_BYTES / 1024 + 100;
    for (let n = 0; n < count; n++) file.write(record);
    file.close();
    assert.equal(stderr.lines.length, 2, stderr.text);
    assert.equal(
      stderr.lines[1],
      `aio: error: ${count} log record(s) were never written to ${path}`,
    );
  });
});

Deno.test("delay: the file is created at the first record, not before", async () => {
  await withDir((dir) => {
    const path = join(dir, "later.log");
    const file = new LogFile(
      { path, mode: "w", delay: true, rotation: { kind: "none" } },
      { stderr: capture() },
    );
    assert.throws(() => Deno.statSync(path), Deno.errors.NotFound);
    file.reopen(); // nothing open yet: nothing to do
    assert.throws(() => Deno.statSync(path), Deno.errors.NotFound);
    file.write(line(1));
    file.close();
    assert.equal(Deno.readTextFileSync(path), "line 0001\n");
  });
});
