// `aio run` and `aio check` go through one prepare step: the same problems
// for the same file, every one at once, typos caught, bare specifiers read
// through the app's import map.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { runCli, tempApp } from "./_cli.ts";

const fixtures = new URL("../fixtures/app/", import.meta.url).pathname;

const BROKEN = `[aio]
shutdown_timeout = soon
modles = ./x.ts

[listen/a]
x = ${fixtures}recorder.ts#nope

[schedule/b]
func = ${fixtures}recorder.ts#scheduled
every = 0

[server/web]
handler = ${fixtures}recorder.ts#listener
adress = 127.0.0.1
port = 0

[logger_root]
level = LOUD
handlers = consoleHandler

[schedul/typo]
func = nothing
`;

function configErrors(stderr: string): string[] {
  return stderr.split("\n").filter((line) =>
    line.startsWith("aio: config error:")
  );
}

Deno.test("run and check report the same problems for the same file, all at once", async () => {
  const dir = await tempApp(BROKEN);
  const check = await runCli(["check"], { cwd: dir });
  const run = await runCli(["run"], { cwd: dir });
  equal(check.code, 78, check.stderr);
  equal(run.code, 78, run.stderr);
  const errors = configErrors(check.stderr);
  deepEqual(configErrors(run.stderr), errors);
  equal(errors.length, 6, check.stderr);
  for (
    const expected of [
      /aio\.conf:2: \[aio\] shutdown_timeout: must be a number of seconds/,
      /aio\.conf:3: \[aio\] modles: unknown option; did you mean 'modules'\?/,
      /aio\.conf:6: \[listen\/a\] x: .*no export 'nope'/,
      /aio\.conf:10: .*every/,
      /aio\.conf:14: \[server\/web\] adress: unknown option; did you mean 'address'\?/,
      /aio\.conf:18: .*LOUD/,
    ]
  ) {
    ok(
      errors.some((line) => expected.test(line)),
      `${expected}\n${check.stderr}`,
    );
  }
  match(
    check.stderr,
    /aio: warning: aio\.conf:21: \[schedul\/typo\] unknown section; did you mean \[schedule\/typo\]\?/,
  );
  ok(!run.stderr.includes("warning"), "run does not print check's warnings");
});

Deno.test("check names the files it read", async () => {
  const dir = await tempApp(
    `[listen/a]\nx = ${fixtures}recorder.ts#listener\n`,
  );
  const result = await runCli(["check"], { cwd: dir });
  equal(result.code, 0, result.stderr);
  match(result.stdout, /^aio: read aio\.conf$/m);
});

Deno.test("check with no config file anywhere says where it looked and exits 78", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aio_e2e_empty_" });
  const result = await runCli(["check"], { cwd: dir });
  equal(result.code, 78);
  equal(
    result.stderr.trim(),
    "aio: error: no config file found (searched ./aio.conf, ./etc/aio.conf, /etc/aio/aio.conf)",
  );
});

Deno.test("an option set in DEFAULT is never unknown", async () => {
  const dir = await tempApp(
    `[DEFAULT]\nhost = 127.0.0.1\n\n[server/web]\nhandler = ${fixtures}recorder.ts#listener\naddress = \${host}\nport = 0\n`,
  );
  const result = await runCli(["check"], { cwd: dir });
  equal(result.code, 0, result.stderr);
  equal(result.stderr, "");
});

Deno.test("bare specifiers in [aio] modules and references go through the app's import map, with the module's aioConfig", async () => {
  const dir = await tempApp(
    "[aio]\nmodules = mymod\n    @aio/app\n",
    {
      "deno.json": JSON.stringify({ imports: { "mymod": "./lib/mymod.ts" } }),
      "lib/mymod.ts":
        `export const aioConfig = "[listen/x]\\nhello = mymod#hello\\n";\nexport function hello() { return "hi"; }\n`,
    },
  );
  const result = await runCli(["check"], { cwd: dir });
  equal(result.code, 0, result.stderr);
  match(result.stdout, /aio: read aio\.conf, mymod#aioConfig/);
  match(result.stdout, /config OK: 1 module\(s\), 1 listener\(s\)/);
});
