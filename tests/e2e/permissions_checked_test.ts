// `aio permissions` and `aio unit` print flags derived from the config, so
// they go through `aio check`'s validation first: a config check refuses
// gets its problems, exactly as check prints them, exit 78, and no flags
// and no unit. And the read list names files only: a module's `aioConfig`
// export is a layer, not a path.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { runCli, tempApp } from "./_cli.ts";

const hello = new URL("../../examples/http_hello/hello.ts", import.meta.url)
  .pathname;

Deno.test("aio permissions and aio unit refuse a config aio check refuses, printing its problems (78)", async () => {
  const dir = await tempApp(
    `[server/x]\nhandler = ${hello}#hello\nport = abc\n\n[aio]\nshutdown_timeout = soon\n`,
  );
  try {
    const [check, permissions, detach, unit] = await Promise.all([
      runCli(["check"], { cwd: dir }),
      runCli(["permissions"], { cwd: dir }),
      runCli(["permissions", "-d"], { cwd: dir }),
      runCli(["unit", "--name", "shop"], { cwd: dir }),
    ]);
    equal(check.code, 78);
    // Every problem, not just the first.
    deepEqual(check.stderr.trimEnd().split("\n"), [
      'aio: config error: aio.conf:3: [server/x] port: must be an integer 0-65535 (0 picks a free port), not "abc"',
      'aio: config error: aio.conf:6: [aio] shutdown_timeout: must be a number of seconds from 0 to 86400, not "soon"',
    ]);
    for (const result of [permissions, detach, unit]) {
      equal(result.code, 78, result.stdout);
      equal(result.stdout, "");
      equal(result.stderr, check.stderr);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("aio permissions prints check's warnings on stderr, and its flags", async () => {
  const dir = await tempApp(
    `[server/x]\nhandler = ${hello}#hello\naddress = 127.0.0.1\nport = 8080\n\n[schedul/nightly]\nevery = 1\n`,
  );
  try {
    const [check, permissions] = await Promise.all([
      runCli(["check"], { cwd: dir }),
      runCli(["permissions"], { cwd: dir }),
    ]);
    equal(check.code, 0, check.stderr);
    match(check.stderr, /^aio: warning: aio\.conf:6: /);
    equal(permissions.code, 0, permissions.stderr);
    equal(permissions.stderr, check.stderr);
    match(permissions.stdout, /^--allow-net=127\.0\.0\.1:8080 /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("aio permissions reads files only: a bare module's aioConfig layer is no path", async () => {
  const dir = await tempApp("[aio]\nmodules = mylib\n", {
    "deno.json": JSON.stringify({ imports: { mylib: "./mylib/mod.ts" } }),
    "mylib/mod.ts": `export const aioConfig = "[mylib]\\nk = 1\\n";\n`,
  });
  try {
    const [check, permissions] = await Promise.all([
      runCli(["check"], { cwd: dir }),
      runCli(["permissions"], { cwd: dir }),
    ]);
    equal(check.code, 0, check.stderr);
    // check lists the layer it read...
    match(check.stdout, /^aio: read aio\.conf, mylib#aioConfig$/m);
    equal(permissions.code, 0, permissions.stderr);
    const read = /--allow-read=(\S+)/.exec(permissions.stdout)?.[1]
      .split(",") ?? [];
    const real = await Deno.realPath(dir);
    // ...permissions grants the files: the config, the module's directory.
    ok(read.includes(`${real}/aio.conf`), permissions.stdout);
    ok(read.includes(`${real}/mylib`), permissions.stdout);
    for (const path of read) {
      ok(!path.includes("#"), `not a file: ${path}`);
      await Deno.stat(path);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
