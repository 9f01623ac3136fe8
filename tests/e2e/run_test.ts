// `aio` as users run it: the CLI frame, `aio run`, `aio check`, `-d`.
import { equal, match, ok } from "node:assert/strict";
import { CliProcess, runCli, tempApp } from "./_cli.ts";

const fixtures = new URL("../fixtures/app/", import.meta.url).pathname;

Deno.test("no command prints the usage and exits 2", async () => {
  const result = await runCli([], { cwd: await tempApp("") });
  equal(result.code, 2);
  equal(
    result.stderr,
    "usage: aio [-h] [-V] [-c FILE] [--log-level LEVEL] [--debug] COMMAND [ARGS ...]\n" +
      "aio: error: the following arguments are required: COMMAND\n",
  );
});

Deno.test("an unknown command is an invalid choice after the usage line, exit 2", async () => {
  const result = await runCli(["bogus"], { cwd: await tempApp("") });
  equal(result.code, 2);
  const [usage, error, ...more] = result.stderr.trimEnd().split("\n");
  match(usage, /^usage: aio \[-h\] /);
  match(
    error,
    /^aio: error: invalid choice: 'bogus' \(choose from 'run', 'config', 'test', 'check'/,
  );
  equal(more.length, 0, result.stderr);
});

Deno.test("--version prints the version", async () => {
  const result = await runCli(["--version"]);
  equal(result.code, 0);
  match(result.stdout, /^aio \d+\.\d+\.\d+/);
});

Deno.test("--help lists the commands", async () => {
  const result = await runCli(["--help"], { cwd: await tempApp("") });
  equal(result.code, 0);
  for (const name of ["run", "config", "test", "check"]) {
    match(result.stdout, new RegExp(`^  ${name} `, "m"));
  }
});

Deno.test("aio run starts the seed app and stops on SIGTERM with exit 0", async () => {
  const dir = await tempApp(`[aio]
modules = ${fixtures}../../../examples/seed/app.ts

[schedule/test-scheduler]
every = 0.2
func = ${fixtures}../../../examples/seed/app.ts#testScheduler

[listen/test-listener]
test-signal = ${fixtures}../../../examples/seed/app.ts#testListener
`);
  const aio = new CliProcess(["run"], { cwd: dir });
  await aio.waitFor(/Listener heard test-signal: BOOM!/);
  aio.kill("SIGTERM");
  const result = await aio.done();
  equal(result.code, 0, result.stderr);
  match(result.stderr, /Stopped/);
});

Deno.test("a missing module is a config error naming file and line, exit 78", async () => {
  const dir = await tempApp("[aio]\nmodules = ./nope.ts\n");
  const result = await runCli(["run"], { cwd: dir });
  equal(result.code, 78);
  match(
    result.stderr,
    /^aio: config error: aio\.conf:2: \[aio\] modules: Cannot load module/m,
  );
  ok(!result.stderr.includes("    at "), "no stack trace");
});

Deno.test("--debug adds the stack trace", async () => {
  const dir = await tempApp("[aio]\nmodules = ./nope.ts\n");
  const result = await runCli(["--debug", "run"], { cwd: dir });
  equal(result.code, 78);
  ok(result.stderr.includes("    at "), result.stderr);
});

Deno.test("a module that throws while importing stops start-up naming it, exit 1", async () => {
  const dir = await tempApp("[aio]\nmodules = ./boom.ts\n");
  await Deno.writeTextFile(`${dir}/boom.ts`, "throw new Error('kaput');\n");
  const result = await runCli(["run"], { cwd: dir });
  equal(result.code, 1);
  match(
    result.stderr,
    /^aio: error: Module '.*boom\.ts' failed while importing: kaput$/m,
  );
});

Deno.test("aio check reports every problem and exits 78", async () => {
  const dir = await tempApp(`[listen/a]
x = ${fixtures}recorder.ts#nope

[schedule/b]
func = ${fixtures}recorder.ts#scheduled
every = -1

[schedule/c]
func = ${fixtures}recorder.ts#notAFunction
every = 1
cron = * * * * *
`);
  const result = await runCli(["check"], { cwd: dir });
  equal(result.code, 78, result.stderr);
  const lines = result.stderr.trim().split("\n");
  ok(
    lines.every((line) => line.startsWith("aio: config error: aio.conf:")),
    result.stderr,
  );
  match(result.stderr, /aio\.conf:2: .*no export 'nope'/);
  match(result.stderr, /aio\.conf:6: /);
  match(result.stderr, /aio\.conf:9: .*must name a function/);
  match(result.stderr, /aio\.conf:8: .*exactly one of every or cron/);
});

Deno.test("aio check passes a sound config", async () => {
  const dir = await tempApp(
    `[listen/a]\nx = ${fixtures}recorder.ts#listener\n`,
  );
  const result = await runCli(["check"], { cwd: dir });
  equal(result.code, 0, result.stderr);
  match(
    result.stdout,
    /config OK: 0 module\(s\), 1 listener\(s\), 0 schedule\(s\), 0 server\(s\)/,
  );
});

Deno.test("aio run reports every config problem before starting anything", async () => {
  const dir = await tempApp(`[aio]
shutdown_timeout = soon

[schedule/x]
func = ${fixtures}recorder.ts#scheduled
cron = 61 * * * *

[server/s]
handler = ${fixtures}recorder.ts#listener
port = abc
`);
  const result = await runCli(["run"], { cwd: dir });
  equal(result.code, 78);
  const lines = result.stderr.trim().split("\n");
  equal(lines.length, 3, result.stderr);
  match(lines[0], /^aio: config error: aio\.conf:2: .*shutdown_timeout/);
  match(
    lines[1],
    /^aio: config error: aio\.conf:6: \[schedule\/x\] cron: bad expression/,
  );
  match(lines[2], /^aio: config error: aio\.conf:10: \[server\/s\] port/);
});
