// `aio compile`, `aio permissions` and module commands, as users run them.
import { equal, match, ok } from "node:assert/strict";
import { CLI, CliProcess, runCli } from "./_cli.ts";

const root = new URL("../../", import.meta.url).pathname;
const fixtures = new URL("../fixtures/app/", import.meta.url).pathname;
const seed = new URL("../../examples/seed/app.ts", import.meta.url).pathname;

async function tempApp(config: string, dir?: string): Promise<string> {
  const path = await Deno.makeTempDir({ prefix: "aio_dist_", dir });
  await Deno.writeTextFile(`${path}/aio.conf`, config);
  return path;
}

const seedConfig = `[aio]
modules = ${seed}

[schedule/test-scheduler]
every = 0.2
func = ${seed}#testScheduler

[listen/test-listener]
test-signal = ${seed}#testListener
`;

Deno.test("the compile entry runs the app with dynamic imports turned off", async () => {
  // Inside the repo, so Deno finds aio's deno.json as `aio compile` arranges.
  const dir = await tempApp(seedConfig, root);
  try {
    const written = await runCli(["compile", "--entry", `${dir}/entry.ts`], {
      cwd: dir,
    });
    equal(written.code, 0, written.stderr);
    const app = new CliProcess(["run"], {
      cwd: dir,
      env: { AIO_NO_DYNAMIC_IMPORT: "1" },
      entry: `${dir}/entry.ts`,
    });
    await app.waitFor(/Listener heard test-signal: BOOM!/);
    app.kill("SIGTERM");
    const result = await app.done();
    equal(result.code, 0, result.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a module the entry did not embed cannot load with dynamic imports off", async () => {
  const dir = await tempApp(seedConfig, root);
  try {
    equal(
      (await runCli(["compile", "--entry", `${dir}/entry.ts`], { cwd: dir }))
        .code,
      0,
    );
    await Deno.writeTextFile(
      `${dir}/other.conf`,
      `[listen/x]\ny = ${fixtures}recorder.ts#listener\n`,
    );
    const result = await runCli(["-c", "other.conf", "check"], {
      cwd: dir,
      env: { AIO_NO_DYNAMIC_IMPORT: "1" },
      entry: `${dir}/entry.ts`,
    });
    equal(result.code, 78);
    match(result.stderr, /other\.conf:2: .*was not embedded at compile time/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("compile refuses a reference it cannot resolve and writes nothing", async () => {
  const dir = await tempApp(`[listen/x]\ny = ${fixtures}recorder.ts#missing\n`);
  const result = await runCli(["compile", "--entry", `${dir}/entry.ts`], {
    cwd: dir,
  });
  equal(result.code, 78);
  match(result.stderr, /aio\.conf:2: .*no export 'missing'/);
  ok(!(await exists(`${dir}/entry.ts`)));
});

Deno.test("compile refuses an output that is a directory and an unknown target", async () => {
  const dir = await tempApp("");
  await Deno.mkdir(`${dir}/out`);
  const directory = await runCli(["compile", "-o", "out"], { cwd: dir });
  equal(directory.code, 2);
  match(
    directory.stderr,
    /^aio: error: compile: output 'out' is a directory$/m,
  );
  const target = await runCli(["compile", "--target", "pdp11"], { cwd: dir });
  equal(target.code, 2);
  match(
    target.stderr,
    /^aio: error: compile: argument --target: invalid choice: 'pdp11' \(choose from 'x86_64-unknown-linux-gnu'/m,
  );
});

Deno.test("the app runs under exactly the flags aio permissions prints", async () => {
  const dir = await tempApp(seedConfig);
  const printed = await runCli(["permissions"], { cwd: dir });
  equal(printed.code, 0, printed.stderr);
  const flags = printed.stdout.trim().split(" ");
  ok(flags.every((flag) => flag.startsWith("--allow-")), printed.stdout);
  ok(!flags.includes("-A") && !flags.some((flag) => flag === "--allow-all"));
  const app = new CliProcess(["run"], {
    cwd: dir,
    denoFlags: ["--no-prompt", ...flags],
  });
  await app.waitFor(/Listener heard test-signal: BOOM!/);
  app.kill("SIGTERM");
  const result = await app.done();
  equal(result.code, 0, result.stderr);
});

Deno.test("a module command runs with its arguments and sets the exit code", async () => {
  const dir = await tempApp(
    `[aio]\nmodules = ${root}examples/greeter/mod.ts\n`,
  );
  const result = await runCli(["greet", "Ada"], { cwd: dir });
  equal(result.code, 0, result.stderr);
  match(result.stdout, /^Hello, Ada!$/m);
  const failing = await runCli(["greet"], { cwd: dir });
  equal(failing.code, 3);
  const help = await runCli(["--help"], { cwd: dir });
  match(help.stdout, /^ {2}greet +Greet someone by name$/m);
});

Deno.test("a module command may not replace a built-in one", async () => {
  const dir = await tempApp(
    `[aio/commands]\nrun = ${fixtures}recorder.ts#listener\n`,
  );
  const result = await runCli(["nosuch"], { cwd: dir });
  equal(result.code, 78);
  match(
    result.stderr,
    /aio\.conf:2: \[aio\/commands\] run: a module command may not replace the built-in command 'run'/,
  );
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

export { CLI };

Deno.test("mod.ts runs the CLI when it is the main module, as jsr:@aio/app does", async () => {
  // The seed module imports mod.ts while mod.ts, the main module, runs the
  // CLI: this deadlocks if mod.ts ever awaits at top level.
  const result = await runCli(["check"], { cwd: root, entry: `${root}mod.ts` });
  equal(result.code, 0, result.stderr);
  match(
    result.stdout,
    /config OK: 1 module\(s\), 1 listener\(s\), 1 schedule\(s\), 3 server\(s\)/,
  );
});

Deno.test({
  name:
    "aio compile builds a binary that runs the app (where DENORT_BIN is set)",
  // `deno compile` downloads its runtime unless DENORT_BIN names a local one;
  // this machine can do neither, so CI runs the entry test above instead.
  ignore: !Deno.env.get("DENORT_BIN"),
  async fn() {
    const dir = await tempApp(seedConfig, root);
    try {
      const built = await runCli(["compile", "-o", `${dir}/app`], { cwd: dir });
      equal(built.code, 0, built.stderr);
      const { code, stdout } = await new Deno.Command(`${dir}/app`, {
        args: ["check"],
        cwd: "/",
        stdout: "piped",
      }).output();
      equal(code, 0);
      match(new TextDecoder().decode(stdout), /config OK: 1 module\(s\)/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
