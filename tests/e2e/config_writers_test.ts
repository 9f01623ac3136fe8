/**
 * `aio config -s`/`--unset` as operators meet them: many writers at once,
 * a writer stuck holding the lock, killed writers' leftovers, symlinked and
 * hard-linked configs, a write that fails half-way. Each through the real
 * CLI as a subprocess, in a temporary directory.
 */

import assert from "node:assert/strict";
import { ConfigParser } from "../../src/config/config_parser.ts";
import { lockForEdit } from "../../src/config/edit_lock.ts";
import { CLI, CliProcess, type CliResult, runCli } from "./_cli.ts";

async function withDir(test: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "aio_writers_" });
  try {
    await test(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function names(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((entry) => entry.name).sort();
}

/** Asserts a failure: the exit code and exactly one stderr line matching `message`. */
function assertFails(result: CliResult, code: number, message: RegExp): void {
  const context = JSON.stringify(result);
  assert.equal(result.code, code, context);
  assert.equal(result.stdout, "", context);
  const lines = result.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, context);
  assert.match(lines[0], message, context);
}

/** A pid that is certainly not running: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = new Deno.Command("true").spawn();
  await child.status;
  return child.pid;
}

Deno.test("20 concurrent aio config -s on different options keep all 20 updates", async () => {
  await withDir(async (dir) => {
    const file = `${dir}/aio.conf`;
    await Deno.writeTextFile(file, "# shared\n[app]\nname = demo\n");
    const writers = 20;
    const results = await Promise.all(
      Array.from(
        { length: writers },
        (_, index) =>
          runCli(["config", "-s", `app:option${index}`, `value ${index}`], {
            cwd: dir,
          }),
      ),
    );
    for (const result of results) {
      assert.deepEqual(result, { code: 0, stdout: "", stderr: "" });
    }
    const parser = new ConfigParser().read(file);
    for (let index = 0; index < writers; index++) {
      assert.equal(parser.get("app", `option${index}`), `value ${index}`);
    }
    assert.equal(parser.get("app", "name"), "demo");
    assert.ok((await Deno.readTextFile(file)).startsWith("# shared\n[app]\n"));
    // No lock file, no temporary file left behind.
    assert.deepEqual(names(dir), ["aio.conf"]);
  });
});

Deno.test("concurrent -s and --unset on one file all take effect", async () => {
  await withDir(async (dir) => {
    const file = `${dir}/aio.conf`;
    let text = "[a]\n";
    for (let index = 0; index < 8; index++) text += `old${index} = x\n`;
    await Deno.writeTextFile(file, text);
    const results = await Promise.all([
      ...Array.from(
        { length: 8 },
        (_, index) =>
          runCli(["config", "-f", file, "--unset", `a:old${index}`]),
      ),
      ...Array.from(
        { length: 8 },
        (_, index) =>
          runCli(["config", "-f", file, "-s", `b:new${index}`, `${index}`]),
      ),
    ]);
    for (const result of results) {
      assert.deepEqual(result, { code: 0, stdout: "", stderr: "" });
    }
    const parser = new ConfigParser().read(file);
    assert.deepEqual(parser.options("a"), []);
    assert.deepEqual(
      parser.options("b").sort(),
      Array.from({ length: 8 }, (_, index) => `new${index}`).sort(),
    );
    assert.deepEqual(names(dir), ["aio.conf"]);
  });
});

Deno.test("a writer that cannot get the lock in time fails with one line, writing nothing", async () => {
  await withDir(async (dir) => {
    const file = `${dir}/aio.conf`;
    const text = "[a]\nk = 1\n";
    await Deno.writeTextFile(file, text);
    const lock = await lockForEdit(file);
    try {
      const started = performance.now();
      const [set, unset] = await Promise.all([
        runCli(["config", "--lock-timeout", "0.3", "-s", "a:k", "2"], {
          cwd: dir,
        }),
        runCli(["config", "--lock-timeout=0.3", "--unset", "a:k"], {
          cwd: dir,
        }),
      ]);
      const message = new RegExp(
        `^aio: error: Cannot edit aio\\.conf: timed out after [\\d.]+ s waiting for the lock \\.aio\\.conf\\.lock \\(held by process ${Deno.pid}\\); nothing was written$`,
      );
      assertFails(set, 1, message);
      assertFails(unset, 1, message);
      assert.ok(performance.now() - started >= 300);
      assert.equal(await Deno.readTextFile(file), text);
      assert.deepEqual(names(dir), [".aio.conf.lock", "aio.conf"]);
    } finally {
      lock.release();
    }
    assert.deepEqual(names(dir), ["aio.conf"]);
  });
});

Deno.test("a writer waits for the lock and then edits the file the holder left", async () => {
  await withDir(async (dir) => {
    const file = `${dir}/aio.conf`;
    await Deno.writeTextFile(file, "[a]\nk = 1\n");
    const lock = await lockForEdit(file);
    const writer = new CliProcess(["config", "-s", "a:j", "2"], { cwd: dir });
    let finished = false;
    const done = writer.done().then((result) => {
      finished = true;
      return result;
    });
    try {
      // The holder changes the file under its lock; the waiter must not
      // have read it before, or this change would be lost.
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(finished, false, "the writer did not wait for the lock");
      await Deno.writeTextFile(file, "[a]\nk = 1\nheld = yes\n");
    } finally {
      lock.release();
    }
    assert.deepEqual(await done, { code: 0, stdout: "", stderr: "" });
    assert.equal(
      await Deno.readTextFile(file),
      "[a]\nk = 1\nheld = yes\nj = 2\n",
    );
    assert.deepEqual(names(dir), ["aio.conf"]);
  });
});

Deno.test("a killed writer's lock file and temporary file do not stop the next edit", async () => {
  await withDir(async (dir) => {
    const pid = await deadPid();
    await Deno.writeTextFile(`${dir}/aio.conf`, "[a]\nk = 1\n");
    await Deno.writeTextFile(`${dir}/.aio.conf.lock`, `${pid}\n`);
    await Deno.writeTextFile(`${dir}/.aio.conf.${pid}.0123abcd.tmp`, "[a]\nk");
    const result = await runCli(
      ["config", "--lock-timeout", "0", "-s", "a:k", "2"],
      { cwd: dir },
    );
    assert.deepEqual(result, { code: 0, stdout: "", stderr: "" });
    assert.equal(await Deno.readTextFile(`${dir}/aio.conf`), "[a]\nk = 2\n");
    assert.deepEqual(names(dir), ["aio.conf"]);
  });
});

Deno.test("symlinked configs: the target is edited (or created), the link stays", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/real`);
    await Deno.writeTextFile(`${dir}/real/app.conf`, "[a]\nk = 1\n");
    await Deno.symlink("real/app.conf", `${dir}/aio.conf`);
    await Deno.symlink("real/new.conf", `${dir}/dangling.conf`);
    const [linked, dangling, unsetDangling] = await Promise.all([
      runCli(["config", "-s", "a:k", "2"], { cwd: dir }),
      runCli(["config", "-f", "dangling.conf", "-s", "a:k", "new"], {
        cwd: dir,
      }),
      runCli(["-c", "real/../dangling.conf", "config", "--unset", "a:x"], {
        cwd: dir,
      }),
    ]);
    assert.deepEqual(linked, { code: 0, stdout: "", stderr: "" });
    assert.deepEqual(dangling, { code: 0, stdout: "", stderr: "" });
    // Run alongside the set that creates the file: either it is not there
    // yet or it lacks the option; both say so with exit 5.
    assert.equal(unsetDangling.code, 5, unsetDangling.stderr);
    assert.equal(
      await Deno.readTextFile(`${dir}/real/app.conf`),
      "[a]\nk = 2\n",
    );
    assert.equal(
      await Deno.readTextFile(`${dir}/real/new.conf`),
      "[a]\nk = new\n",
    );
    assert.equal(await Deno.readLink(`${dir}/aio.conf`), "real/app.conf");
    assert.equal(await Deno.readLink(`${dir}/dangling.conf`), "real/new.conf");
    assert.deepEqual(names(dir), ["aio.conf", "dangling.conf", "real"]);
    assert.deepEqual(names(`${dir}/real`), ["app.conf", "new.conf"]);
  });
});

Deno.test("a hard-linked config is refused, not split; a symlink loop is one line", async () => {
  await withDir(async (dir) => {
    const text = "[a]\nk = 1\n";
    await Deno.writeTextFile(`${dir}/aio.conf`, text);
    await Deno.link(`${dir}/aio.conf`, `${dir}/copy.conf`);
    await Deno.symlink("loop2", `${dir}/loop1`);
    await Deno.symlink("loop1", `${dir}/loop2`);
    const [set, unset, loop] = await Promise.all([
      runCli(["config", "-s", "a:k", "2"], { cwd: dir }),
      runCli(["config", "--unset", "a:k"], { cwd: dir }),
      runCli(["config", "-f", "loop1", "-s", "a:k", "2"], { cwd: dir }),
    ]);
    const message =
      /^aio: error: Cannot write aio\.conf: it has 2 hard links, and replacing it would split them/;
    assertFails(set, 1, message);
    assertFails(unset, 1, message);
    assertFails(
      loop,
      1,
      /^aio: error: Cannot write loop1: too many levels of symbolic links$/,
    );
    assert.equal(await Deno.readTextFile(`${dir}/aio.conf`), text);
    assert.equal((await Deno.stat(`${dir}/aio.conf`)).nlink, 2);
    assert.deepEqual(names(dir), ["aio.conf", "copy.conf", "loop1", "loop2"]);
  });
});

Deno.test("a write that fails half-way (file size limit) keeps the old file and leaves nothing behind", async () => {
  await withDir(async (dir) => {
    // 1 MB of config under a 256 KB file size limit: the temporary file's
    // write fails part-way with EFBIG (SIGXFSZ ignored, as a shell can).
    let text = "[a]\nk = 1\n";
    for (let index = 0; text.length < 1_000_000; index++) {
      text += `[s${index}]\nvalue = ${"v".repeat(60)}\n`;
    }
    await Deno.writeTextFile(`${dir}/aio.conf`, text);
    const output = await new Deno.Command("sh", {
      args: [
        "-c",
        'trap "" XFSZ; ulimit -f 512; exec "$0" "$@"',
        Deno.execPath(),
        "run",
        "-A",
        CLI,
        "config",
        "-s",
        "a:k",
        "2",
      ],
      cwd: dir,
      env: { NO_COLOR: "1" },
      stdin: "null",
    }).output();
    const decoder = new TextDecoder();
    assertFails(
      {
        code: output.code,
        stdout: decoder.decode(output.stdout),
        stderr: decoder.decode(output.stderr),
      },
      1,
      /^aio: error: Cannot write aio\.conf: file too large$/,
    );
    assert.equal(await Deno.readTextFile(`${dir}/aio.conf`), text);
    assert.deepEqual(names(dir), ["aio.conf"]);
  });
});
