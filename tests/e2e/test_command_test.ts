// `aio test`: which modules, their tests through `deno test`, the config
// handed down, and the exit code.
import { equal, match, ok } from "node:assert/strict";
import { runCli } from "./_cli.ts";

async function project(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "aio_test_cmd_" });
  for (const name of ["good", "bad", "empty"]) {
    await Deno.mkdir(`${dir}/${name}`);
  }
  await Deno.writeTextFile(`${dir}/good/mod.ts`, "export const answer = 42;\n");
  await Deno.writeTextFile(
    `${dir}/good/mod_test.ts`,
    `import { answer } from "./mod.ts";
Deno.test("answer", () => { if (answer !== 42) throw new Error("wrong"); });
Deno.test("config is handed down", () => {
  if (!Deno.env.get("AIO_CONFIG")?.endsWith("aio.conf")) throw new Error("no AIO_CONFIG");
});
`,
  );
  await Deno.writeTextFile(`${dir}/bad/mod.ts`, "export const answer = 41;\n");
  await Deno.writeTextFile(
    `${dir}/bad/mod_test.ts`,
    `import { answer } from "./mod.ts";\nDeno.test("answer", () => { if (answer !== 42) throw new Error("wrong"); });\n`,
  );
  await Deno.writeTextFile(`${dir}/empty/mod.ts`, "export {};\n");
  await Deno.writeTextFile(
    `${dir}/aio.conf`,
    "[aio]\nlog_level = WARNING\nmodules = ./good/mod.ts\n  ./bad/mod.ts\n  ./empty/mod.ts\n",
  );
  return dir;
}

Deno.test("aio test runs each module's tests and fails when one module fails", async () => {
  const dir = await project();
  const result = await runCli([
    "-c",
    `${dir}/aio.conf`,
    "test",
    "./good/mod.ts",
    "./bad/mod.ts",
    "./empty/mod.ts",
  ], {
    cwd: dir,
  });
  equal(result.code, 1, result.stderr);
  match(result.stdout, /^Running tests for \.\/good\/mod\.ts\.\.\.$/m);
  match(result.stdout, /^Running tests for \.\/bad\/mod\.ts\.\.\.$/m);
  match(result.stdout, /^No tests for \.\/empty\/mod\.ts$/m);
  match(
    result.stdout,
    /3 module\(s\), 2 tested: 1 passed, 1 failed, 1 without tests/,
  );
});

Deno.test("aio test of passing modules exits 0; [aio/testing] modules picks them", async () => {
  const dir = await project();
  await Deno.writeTextFile(
    `${dir}/aio.conf`,
    "\n[aio/testing]\nmodules = ./good/mod.ts\n",
    { append: true },
  );
  const result = await runCli(["-c", `${dir}/aio.conf`, "test"], { cwd: dir });
  equal(result.code, 0, result.stdout + result.stderr);
  match(result.stdout, /Running tests for \.\/good\/mod\.ts/);
  ok(!result.stdout.includes("bad/mod.ts"));
});

Deno.test("aio test of a module that is not configured lists the ones that are", async () => {
  const dir = await project();
  const result = await runCli(["test", "./nope.ts"], { cwd: dir });
  equal(result.code, 2);
  match(
    result.stderr,
    /^aio: error: test: module '\.\/nope\.ts' is not configured \(configured: '@aio\/app', '\.\/good\/mod\.ts', '\.\/bad\/mod\.ts', '\.\/empty\/mod\.ts'\)$/m,
  );
});

Deno.test("aio's own module has tests that aio test finds", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aio_test_self_" });
  await Deno.writeTextFile(`${dir}/aio.conf`, "[aio]\nlog_level = WARNING\n");
  const result = await runCli(["test", "@aio/app"], { cwd: dir });
  equal(result.code, 0, result.stdout + result.stderr);
  match(result.stdout, /^Running tests for @aio\/app\.\.\.$/m);
  match(result.stdout, /1 module\(s\), 1 tested: 1 passed, 0 failed/);
});
