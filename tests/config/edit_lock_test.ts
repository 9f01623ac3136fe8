import assert from "node:assert/strict";
import {
  lockForEdit,
  lockPathFor,
  LockTimeoutError,
} from "../../src/config/edit_lock.ts";

async function withTempDir(test: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "aio_lock_" });
  try {
    await test(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function names(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((entry) => entry.name).sort();
}

Deno.test("lockPathFor puts .NAME.lock beside the file", () => {
  assert.equal(lockPathFor("aio.conf"), ".aio.conf.lock");
  assert.equal(lockPathFor("./aio.conf"), "./.aio.conf.lock");
  assert.equal(lockPathFor("etc/aio.conf"), "etc/.aio.conf.lock");
  assert.equal(lockPathFor("/etc/aio/aio.conf"), "/etc/aio/.aio.conf.lock");
  assert.equal(lockPathFor("/aio.conf"), "/.aio.conf.lock");
});

Deno.test("lockForEdit makes a second writer wait until the first releases, and leaves no file", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/aio.conf`;
    const first = await lockForEdit(path);
    assert.equal(first.path, `${dir}/.aio.conf.lock`);
    assert.equal(Deno.readTextFileSync(first.path), `${Deno.pid}\n`);
    let secondHeld = false;
    const second = lockForEdit(path, { timeoutMs: 10_000 }).then((lock) => {
      secondHeld = true;
      return lock;
    });
    // However slow the machine, the second cannot get it while the first holds it.
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(secondHeld, false);
    first.release();
    const lock = await second;
    assert.equal(secondHeld, true);
    lock.release();
    lock.release();
    assert.deepEqual(names(dir), []);
  });
});

Deno.test("lockForEdit gives up after the timeout, naming the holder", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/aio.conf`;
    const holder = await lockForEdit(path);
    const started = performance.now();
    await assert.rejects(
      () => lockForEdit(path, { timeoutMs: 150 }),
      (error: unknown) =>
        error instanceof LockTimeoutError && error.holder === Deno.pid &&
        error.waitedMs >= 150 && error.lockPath === holder.path &&
        error.message ===
          `timed out after ${
            Number((error.waitedMs / 1000).toFixed(1))
          } s waiting for the lock ${holder.path} (held by process ${Deno.pid})`,
    );
    assert.ok(performance.now() - started >= 150);
    // The holder's lock file is untouched by the writer that gave up.
    assert.equal(Deno.readTextFileSync(holder.path), `${Deno.pid}\n`);
    holder.release();
    assert.deepEqual(names(dir), []);
  });
});

Deno.test("lockForEdit takes over a lock file a killed writer left", async () => {
  await withTempDir(async (dir) => {
    Deno.writeTextFileSync(`${dir}/.aio.conf.lock`, "2147483646\n");
    const lock = await lockForEdit(`${dir}/aio.conf`, { timeoutMs: 0 });
    assert.equal(Deno.readTextFileSync(lock.path), `${Deno.pid}\n`);
    lock.release();
    assert.deepEqual(names(dir), []);
  });
});

Deno.test("lockForEdit never lets two holders in, though each removes the file on release", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/aio.conf`;
    let inside = 0;
    let most = 0;
    let done = 0;
    // Staggered arrivals: some open the lock file while an earlier holder
    // is removing it, which is the race the inode check is for.
    await Promise.all(Array.from({ length: 60 }, async (_, index) => {
      await new Promise((resolve) => setTimeout(resolve, index % 20));
      const lock = await lockForEdit(path, { timeoutMs: 30_000 });
      inside++;
      most = Math.max(most, inside);
      await new Promise((resolve) => setTimeout(resolve, index % 3));
      inside--;
      done++;
      lock.release();
    }));
    assert.equal(done, 60);
    assert.equal(most, 1);
    assert.deepEqual(names(dir), []);
  });
});

Deno.test("lockForEdit fails at once when the directory is missing", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(
      () => lockForEdit(`${dir}/missing/aio.conf`),
      Deno.errors.NotFound,
    );
  });
});
