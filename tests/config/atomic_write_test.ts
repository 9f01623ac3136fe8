import assert from "node:assert/strict";
import {
  describeWriteError,
  HardLinkError,
  ReadOnlyFileError,
  resolveSymlinks,
  writeFileAtomicSync,
} from "../../src/config/atomic_write.ts";

async function withTempDir(test: (dir: string) => void | Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "aio_atomic_" });
  try {
    await test(dir);
  } finally {
    await Deno.chmod(dir, 0o755).catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
}

function names(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((entry) => entry.name).sort();
}

Deno.test("writeFileAtomicSync creates a new file, not world-writable", async () => {
  await withTempDir((dir) => {
    const path = `${dir}/app.conf`;
    writeFileAtomicSync(path, "[aio]\nlog_level = DEBUG\n");
    assert.equal(Deno.readTextFileSync(path), "[aio]\nlog_level = DEBUG\n");
    const mode = Deno.statSync(path).mode! & 0o777;
    assert.equal(mode, 0o644 & ~Deno.umask());
    assert.equal(mode & 0o002, 0);
    assert.deepEqual(names(dir), ["app.conf"]);
  });
});

Deno.test("writeFileAtomicSync replaces a file and keeps its mode", async () => {
  await withTempDir((dir) => {
    const path = `${dir}/app.conf`;
    for (const mode of [0o600, 0o640, 0o755]) {
      Deno.writeTextFileSync(path, "old");
      Deno.chmodSync(path, mode);
      const bytes = new Uint8Array([
        0xef,
        0xbb,
        0xbf,
        0x5b,
        0x61,
        0x5d,
        0x0d,
        0x0a,
      ]);
      writeFileAtomicSync(path, bytes);
      assert.deepEqual(Deno.readFileSync(path), bytes);
      assert.equal(Deno.statSync(path).mode! & 0o7777, mode);
    }
    assert.deepEqual(names(dir), ["app.conf"]);
  });
});

Deno.test("writeFileAtomicSync replaces the file behind a symlink and keeps the link", async () => {
  await withTempDir((dir) => {
    Deno.mkdirSync(`${dir}/real`);
    Deno.writeTextFileSync(`${dir}/real/app.conf`, "old");
    Deno.symlinkSync(`${dir}/real/app.conf`, `${dir}/link.conf`);
    writeFileAtomicSync(`${dir}/link.conf`, "new");
    assert.ok(Deno.lstatSync(`${dir}/link.conf`).isSymlink);
    assert.equal(Deno.readTextFileSync(`${dir}/real/app.conf`), "new");
    assert.deepEqual(names(`${dir}/real`), ["app.conf"]);
  });
});

Deno.test("writeFileAtomicSync creates a dangling symlink's target and keeps the link", async () => {
  await withTempDir((dir) => {
    Deno.mkdirSync(`${dir}/real`);
    // Relative links resolve against the link's directory, through a chain.
    Deno.symlinkSync("real/app.conf", `${dir}/middle.conf`);
    Deno.symlinkSync("middle.conf", `${dir}/link.conf`);
    writeFileAtomicSync(`${dir}/link.conf`, "new");
    assert.ok(Deno.lstatSync(`${dir}/link.conf`).isSymlink);
    assert.ok(Deno.lstatSync(`${dir}/middle.conf`).isSymlink);
    assert.equal(Deno.readTextFileSync(`${dir}/real/app.conf`), "new");
    assert.deepEqual(names(dir), ["link.conf", "middle.conf", "real"]);
  });
});

Deno.test("resolveSymlinks follows chains, stops at a missing file and refuses a loop", async () => {
  await withTempDir((dir) => {
    Deno.symlinkSync(`${dir}/abs.conf`, `${dir}/to_abs.conf`);
    assert.equal(resolveSymlinks(`${dir}/to_abs.conf`), `${dir}/abs.conf`);
    assert.equal(resolveSymlinks(`${dir}/plain.conf`), `${dir}/plain.conf`);
    Deno.symlinkSync("b", `${dir}/a`);
    Deno.symlinkSync("a", `${dir}/b`);
    assert.throws(
      () => resolveSymlinks(`${dir}/a`),
      (error: unknown) =>
        error instanceof Deno.errors.FilesystemLoop &&
        describeWriteError(error) === "too many levels of symbolic links",
    );
  });
});

Deno.test("writeFileAtomicSync refuses to split a hard-linked file, changing nothing", async () => {
  await withTempDir((dir) => {
    const path = `${dir}/app.conf`;
    Deno.writeTextFileSync(path, "keep me");
    Deno.linkSync(path, `${dir}/other.conf`);
    assert.throws(
      () => writeFileAtomicSync(path, "lost"),
      (error: unknown) =>
        error instanceof HardLinkError && error.links === 2 &&
        describeWriteError(error).startsWith("it has 2 hard links"),
    );
    assert.equal(Deno.readTextFileSync(path), "keep me");
    assert.equal(Deno.statSync(path).nlink, 2);
    assert.deepEqual(names(dir), ["app.conf", "other.conf"]);
  });
});

Deno.test("describeWriteError names a full disk and its kin in a few words", () => {
  const withCode = (code: string) =>
    Object.assign(new Error(`${code} (os error 1): write`), { code });
  assert.equal(
    describeWriteError(withCode("ENOSPC")),
    "no space left on device",
  );
  assert.equal(describeWriteError(withCode("EFBIG")), "file too large");
  assert.equal(describeWriteError(withCode("EROFS")), "read-only file system");
  assert.equal(describeWriteError(withCode("EDQUOT")), "disk quota exceeded");
  if (Deno.build.os === "linux") {
    assert.equal(
      describeWriteError(new Error("File too large (os error 27)")),
      "file too large",
    );
  }
  assert.equal(describeWriteError(new Error("odd\nsecond")), "odd");
});

Deno.test("writeFileAtomicSync refuses a read-only file and leaves it as it was", async () => {
  await withTempDir((dir) => {
    const path = `${dir}/app.conf`;
    Deno.writeTextFileSync(path, "keep me");
    Deno.chmodSync(path, 0o444);
    assert.throws(() => writeFileAtomicSync(path, "lost"), ReadOnlyFileError);
    assert.equal(Deno.readTextFileSync(path), "keep me");
    assert.equal(Deno.statSync(path).mode! & 0o777, 0o444);
    assert.deepEqual(names(dir), ["app.conf"]);
    try {
      writeFileAtomicSync(path, "lost");
    } catch (error) {
      assert.equal(describeWriteError(error), "the file is read-only");
    }
  });
});

Deno.test("writeFileAtomicSync fails cleanly on a directory or a missing directory", async () => {
  await withTempDir((dir) => {
    Deno.mkdirSync(`${dir}/sub`);
    assert.throws(
      () => writeFileAtomicSync(`${dir}/sub`, "x"),
      (error: unknown) => describeWriteError(error) === "is a directory",
    );
    assert.throws(
      () => writeFileAtomicSync(`${dir}/missing/app.conf`, "x"),
      (error: unknown) => describeWriteError(error) === "no such directory",
    );
    assert.deepEqual(names(dir), ["sub"]);
    assert.deepEqual(names(`${dir}/sub`), []);
  });
});

// The reader runs in a worker so its reads overlap the writes; a plain
// truncate-and-write shows it empty and half-written files here.
const READER = `self.onmessage = ({ data }) => {
  const seen = new Set();
  const end = Date.now() + data.ms;
  while (Date.now() < end) {
    try {
      seen.add(Deno.readFileSync(data.path).length);
    } catch (error) {
      seen.add(error.name);
    }
  }
  self.postMessage([...seen]);
};`;

Deno.test("writeFileAtomicSync never shows readers a partial or missing file", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/app.conf`;
    const small = "a".repeat(10);
    const large = "b".repeat(2 * 1024 * 1024);
    writeFileAtomicSync(path, small);
    const url = URL.createObjectURL(
      new Blob([READER], { type: "application/javascript" }),
    );
    const worker = new Worker(url, { type: "module" });
    try {
      const seen = new Promise<unknown[]>((resolve) => {
        worker.onmessage = (event) => resolve(event.data);
      });
      worker.postMessage({ path, ms: 600 });
      const end = Date.now() + 400;
      let writes = 0;
      while (Date.now() < end || writes < 4) {
        writeFileAtomicSync(path, writes++ % 2 ? small : large);
      }
      const lengths = await seen;
      assert.ok(lengths.length > 0);
      for (const length of lengths) {
        assert.ok(
          length === small.length || length === large.length,
          `saw ${length}`,
        );
      }
    } finally {
      worker.terminate();
      URL.revokeObjectURL(url);
    }
    assert.deepEqual(names(dir), ["app.conf"]);
  });
});

Deno.test("a write clears the temporary files of killed writers, not of live ones", () =>
  withTempDir((dir) => {
    const sleeper = new Deno.Command("sleep", { args: ["30"] }).spawn();
    try {
      const orphan = `.app.conf.999999999.deadbeef.tmp`;
      const live = `.app.conf.${sleeper.pid}.cafef00d.tmp`;
      const unrelated = `.other.conf.999999999.deadbeef.tmp`;
      for (const name of [orphan, live, unrelated]) {
        Deno.writeTextFileSync(`${dir}/${name}`, "x");
      }
      writeFileAtomicSync(`${dir}/app.conf`, "[a]\nb = 1\n");
      assert.deepEqual(names(dir), [live, unrelated, "app.conf"].sort());
    } finally {
      sleeper.kill("SIGKILL");
    }
  }));
