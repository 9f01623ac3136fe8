// The command line as a new user meets it, through the real CLI: global
// options anywhere, --log-level, help pages, "did you mean", and one shape
// for every usage error.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { CliProcess, runCli, tempApp } from "./_cli.ts";
import { BUILTIN_COMMAND_NAMES } from "../../src/commands/names.ts";

const root = new URL("../../", import.meta.url).pathname;
const greeter = `${root}examples/greeter/mod.ts`;

/** An app whose `aio-started` listener prints `MARKER` and logs one line at each level. */
function markerApp(marker: string, extra = ""): string {
  return `[aio]\nlog_level = ERROR\n${extra}\n[listen/mark]\naio-started = ./mark.ts#${marker}\n`;
}

const markModule = `import { getLogger } from "${root}mod.ts";
const logger = getLogger("aio.mark");
function mark(name: string) {
  logger.debug("level-debug");
  logger.info("level-info");
  logger.warn("level-warning");
  console.log(name);
}
export const HELLO = () => mark("HELLO-STARTED");
export const OTHER = () => mark("OTHER-STARTED");
`;

/** Asserts the shape of every usage error: nothing on stdout, the usage line, then one error line; exit 2. */
function assertUsageError(
  result: { code: number; stdout: string; stderr: string },
  usage: RegExp,
  error: RegExp,
): void {
  const context = JSON.stringify(result);
  equal(result.code, 2, context);
  equal(result.stdout, "", context);
  const lines = result.stderr.trimEnd().split("\n");
  const usageLines = lines.slice(0, -1);
  ok(usageLines.length >= 1, context);
  match(usageLines[0], usage, context);
  ok(
    usageLines.slice(1).every((line) => line.startsWith("       aio ")),
    context,
  );
  match(lines.at(-1)!, error, context);
}

async function runUntilMarker(
  args: string[],
  cwd: string,
  marker: RegExp,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const aio = new CliProcess(args, { cwd });
  try {
    await aio.waitFor(marker);
  } finally {
    aio.kill("SIGTERM");
  }
  return await aio.done();
}

Deno.test("global options work before and after a built-in command's name, in every form", async () => {
  // ./aio.conf would print OTHER-STARTED: every form must pick hello.conf.
  const dir = await tempApp(markerApp("OTHER"), {
    "hello.conf": markerApp("HELLO"),
    "mark.ts": markModule,
  });
  const forms = [
    ["run", "-c", "hello.conf"],
    ["-c", "hello.conf", "run"],
    ["run", "--config=hello.conf"],
    ["run", "-chello.conf"],
    ["--config", "hello.conf", "run"],
    ["-c", "aio.conf", "run", "-c", "hello.conf"],
  ];
  for (const args of forms) {
    const result = await runUntilMarker(args, dir, /-STARTED\n/);
    equal(result.code, 0, `${args.join(" ")}: ${result.stderr}`);
    match(result.stdout, /^HELLO-STARTED$/m, args.join(" "));
    ok(!result.stdout.includes("OTHER"), args.join(" "));
  }
  // --debug after the command adds the stack trace to an error.
  const broken = await tempApp("[aio]\nmodules = ./missing.ts\n");
  const plain = await runCli(["check"], { cwd: broken });
  const debug = await runCli(["check", "--debug"], { cwd: broken });
  equal(plain.code, 78);
  equal(debug.code, 78);
  ok(!/\n\s+at /.test(plain.stderr), plain.stderr);
  match(debug.stderr, /\n\s+at /);
  // -V after a command is aio's version too.
  const version = await runCli(["check", "-V"], { cwd: broken });
  equal(version.code, 0);
  match(version.stdout, /^aio \d+\.\d+\.\d+\n$/);
});

Deno.test("--log-level overrides [aio] log_level from the command line, anywhere on the line", async () => {
  const dir = await tempApp(markerApp("HELLO"), { "mark.ts": markModule });
  const asConfigured = await runUntilMarker(["run"], dir, /HELLO-STARTED/);
  equal(asConfigured.code, 0, asConfigured.stderr);
  ok(!/level-(debug|info|warning)/.test(asConfigured.stderr));
  const debug = await runUntilMarker(
    ["run", "--log-level", "DEBUG"],
    dir,
    /HELLO-STARTED/,
  );
  equal(debug.code, 0, debug.stderr);
  match(debug.stderr, /DEBUG\(aio\.mark\): level-debug/);
  match(debug.stderr, /INFO\(aio\.mark\): level-info/);
  // Any case, before the command, with `=`.
  const warning = await runUntilMarker(
    ["--log-level=warning", "run"],
    dir,
    /HELLO-STARTED/,
  );
  equal(warning.code, 0, warning.stderr);
  match(warning.stderr, /WARNING\(aio\.mark\): level-warning/);
  ok(!/level-(debug|info)/.test(warning.stderr), warning.stderr);
  // check lists the files it read: the command line is not one of them.
  const check = await runCli(["check", "--log-level", "CRITICAL"], {
    cwd: dir,
  });
  equal(check.code, 0, check.stderr);
  match(check.stdout, /^aio: read aio\.conf\naio: config OK/);
});

Deno.test("a bad --log-level is a usage error naming the levels, or the near one", async () => {
  const dir = await tempApp("");
  assertUsageError(
    await runCli(["--log-level", "LOUD", "run"], { cwd: dir }),
    /^usage: aio \[-h\] /,
    /^aio: error: argument --log-level: invalid choice: 'LOUD' \(choose from 'DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'\)$/,
  );
  assertUsageError(
    await runCli(["run", "--log-level=debg"], { cwd: dir }),
    /^usage: aio run \[-h\] \[-d\] \[--pidfile PATH\] \[--start-timeout SECONDS\] \[-w N\]$/,
    /^aio: error: run: argument --log-level: invalid choice: 'debg' \(did you mean 'DEBUG'\?\)$/,
  );
  assertUsageError(
    await runCli(["check", "--log-level"], { cwd: dir }),
    /^usage: aio check \[-h\]$/,
    /^aio: error: check: argument --log-level: expected one argument$/,
  );
});

Deno.test("aio help, aio --help and aio -h list every command with its description", async () => {
  const dir = await tempApp("");
  const pages = await Promise.all(
    [["help"], ["--help"], ["-h"]].map((args) => runCli(args, { cwd: dir })),
  );
  for (const page of pages) {
    equal(page.code, 0, page.stderr);
    equal(page.stderr, "");
    equal(page.stdout, pages[0].stdout);
  }
  const text = pages[0].stdout;
  match(text, /^usage: aio \[-h\] \[-V\] \[-c FILE\] \[--log-level LEVEL\]/);
  for (const name of BUILTIN_COMMAND_NAMES) {
    match(text, new RegExp(`^  ${name} +[A-Z]\\w+`, "m"), name);
  }
  for (const option of ["--config FILE", "--log-level LEVEL", "--debug"]) {
    ok(text.includes(option), option);
  }
  ok(!text.includes("module commands"), "no module commands without a config");
});

Deno.test("every built-in has one help page: aio help X, X --help and X -h, in one layout", async () => {
  const dir = await tempApp("");
  for (const name of BUILTIN_COMMAND_NAMES) {
    const pages = await Promise.all(
      [["help", name], [name, "--help"], [name, "-h"]].map((args) =>
        runCli(args, { cwd: dir })
      ),
    );
    for (const page of pages) {
      equal(page.code, 0, `${name}: ${page.stderr}`);
      equal(page.stderr, "", name);
      equal(page.stdout, pages[0].stdout, name);
    }
    const sections = pages[0].stdout.trimEnd().split("\n\n");
    match(sections[0], new RegExp(`^usage: aio ${name} \\[-h\\]`), name);
    match(sections[1], /^[A-Z]/, `${name} has a description`);
    const headings = sections.slice(2).map((part) => part.split("\n")[0]);
    ok(headings.includes("options:"), `${name}: ${headings}`);
    ok(headings.some((h) => h.startsWith("global options")), name);
    ok(headings.includes("examples:"), name);
    match(pages[0].stdout, /^ {2}-h, --help +show this help and exit$/m);
    // Every example names aio's command (or runs it under deno).
    const examples = sections.find((part) => part.startsWith("examples:"))!;
    for (const line of examples.split("\n").slice(1)) {
      if (line.startsWith("    ")) continue;
      ok(/^ {2}(aio|deno run)/.test(line), `${name}: ${line}`);
    }
  }
});

Deno.test("module commands appear in aio help, and aio help NAME shows one", async () => {
  const dir = await tempApp(`[aio]\nmodules = ${greeter}\n`);
  const list = await runCli(["help"], { cwd: dir });
  equal(list.code, 0, list.stderr);
  match(
    list.stdout,
    /^module commands \(from \[aio\/commands\]\):\n {2}greet +Greet someone by name$/m,
  );
  for (const args of [["help", "greet"], ["-h", "greet"]]) {
    const page = await runCli(args, { cwd: dir });
    equal(page.code, 0, page.stderr);
    if (args[0] === "-h") {
      // -h before the name is aio's own help, as argparse has it.
      equal(page.stdout, list.stdout);
      continue;
    }
    const [usage, description] = page.stdout.split("\n\n");
    equal(usage, "usage: aio greet NAME");
    equal(description, "Greet someone by name");
  }
  // A module command gets its arguments as they are: --help included.
  const own = await runCli(["greet", "--help"], { cwd: dir });
  equal(own.code, 0, own.stderr);
  equal(own.stdout, "Hello, --help!\n");
});

Deno.test("aio help still lists the built-ins when the config is broken", async () => {
  const dir = await tempApp("[aio]\nmodules = ./missing.ts\n");
  const result = await runCli(["help"], { cwd: dir });
  equal(result.code, 0, result.stderr);
  match(result.stdout, /^ {2}run /m);
  match(
    result.stdout,
    /^\(module commands not listed: aio: config error: aio\.conf:2: /m,
  );
});

Deno.test("a module command gets every argument after its name as it is", async () => {
  const dir = await tempApp(
    `[aio/commands]\nargv = ./argv.ts#printArgv\n`,
    {
      "argv.ts":
        "export function printArgv(argv: string[]) { console.log(JSON.stringify(argv)); }\n",
    },
  );
  const result = await runCli(
    ["--log-level", "ERROR", "argv", "-c", "x.conf", "--debug", "--", "-h"],
    { cwd: dir },
  );
  equal(result.code, 0, result.stderr);
  deepEqual(JSON.parse(result.stdout), ["-c", "x.conf", "--debug", "--", "-h"]);
});

Deno.test("an unknown command gets the nearest one, else the list to choose from", async () => {
  const dir = await tempApp(`[aio]\nmodules = ${greeter}\n`);
  const usage =
    /^usage: aio \[-h\] \[-V\] \[-c FILE\] \[--log-level LEVEL\] \[--debug\] COMMAND \[ARGS \.\.\.\]$/;
  assertUsageError(
    await runCli(["conifg"], { cwd: dir }),
    usage,
    /^aio: error: invalid choice: 'conifg' \(did you mean 'config'\?\)$/,
  );
  assertUsageError(
    await runCli(["gret", "Ada"], { cwd: dir }),
    usage,
    /^aio: error: invalid choice: 'gret' \(did you mean 'greet'\?\)$/,
  );
  assertUsageError(
    await runCli(["xyzzy"], { cwd: dir }),
    usage,
    new RegExp(
      `^aio: error: invalid choice: 'xyzzy' \\(choose from ${
        [...BUILTIN_COMMAND_NAMES, "greet"].map((name) => `'${name}'`).join(
          ", ",
        )
      }\\)$`,
    ),
  );
  assertUsageError(
    await runCli(["help", "chek"], { cwd: dir }),
    /^usage: aio help \[-h\] \[COMMAND\]$/,
    /^aio: error: help: invalid choice: 'chek' \(did you mean 'check'\?\)$/,
  );
  // With a broken config, a slip of a built-in's name is still a usage error.
  const broken = await tempApp("[aio]\nmodules = ./missing.ts\n");
  assertUsageError(
    await runCli(["rnu"], { cwd: broken }),
    usage,
    /^aio: error: invalid choice: 'rnu' \(did you mean 'run'\?\)$/,
  );
  const other = await runCli(["mystery"], { cwd: broken });
  equal(
    other.code,
    78,
    "a name no built-in is near: the config's error says why",
  );
  match(other.stderr, /^aio: config error: aio\.conf:2: /m);
});

Deno.test("every usage error has one shape: the command's usage line, then aio: error: COMMAND: ...", async () => {
  const dir = await tempApp("");
  for (const name of BUILTIN_COMMAND_NAMES) {
    assertUsageError(
      await runCli([name, "--bogus"], { cwd: dir }),
      new RegExp(`^usage: aio ${name} \\[-h\\]`),
      new RegExp(`^aio: error: ${name}: unrecognized option '--bogus'$`),
    );
  }
  const cases: [string[], RegExp, RegExp][] = [
    [
      ["run", "--detatch"],
      /^usage: aio run \[-h\] \[-d\] \[--pidfile PATH\] \[--start-timeout SECONDS\] \[-w N\]$/,
      /^aio: error: run: unrecognized option '--detatch' \(did you mean '--detach'\?\)$/,
    ],
    [
      ["run", "-detach"],
      /^usage: aio run /,
      /^aio: error: run: unrecognized option '-detach' \(did you mean '--detach'\?\)$/,
    ],
    [
      ["run", "--detach=yes"],
      /^usage: aio run /,
      /^aio: error: run: argument -d\/--detach: expected no value, got 'yes'$/,
    ],
    [
      ["compile", "--outptu", "x"],
      /^usage: aio compile /,
      /^aio: error: compile: unrecognized option '--outptu' \(did you mean '--output'\?\)$/,
    ],
    [
      ["compile", "-o"],
      /^usage: aio compile /,
      /^aio: error: compile: argument -o\/--output: expected one argument$/,
    ],
    [
      ["compile", "--target", "x86_64-unknown-linux-gnux"],
      /^usage: aio compile /,
      /^aio: error: compile: argument --target: invalid choice: 'x86_64-unknown-linux-gnux' \(did you mean 'x86_64-unknown-linux-gnu'\?\)$/,
    ],
    [
      ["check", "extra"],
      /^usage: aio check \[-h\]$/,
      /^aio: error: check: unrecognized argument 'extra'$/,
    ],
    [
      ["--conifg", "x.conf", "run"],
      /^usage: aio \[-h\]/,
      /^aio: error: unrecognized option '--conifg' \(did you mean '--config'\?\)$/,
    ],
    [
      ["run", "-c"],
      /^usage: aio run /,
      /^aio: error: run: argument -c\/--config: expected one argument$/,
    ],
    [
      ["--config=", "run"],
      /^usage: aio \[-h\]/,
      /^aio: error: argument -c\/--config: expected a file name$/,
    ],
    [
      ["config", "-s", "aio:x"],
      /^usage: aio config \[-h\]/,
      /^aio: error: config: argument -s\/--set: expected 2 arguments: SECTION:OPTION VALUE$/,
    ],
    [
      ["help", "run", "check"],
      /^usage: aio help \[-h\] \[COMMAND\]$/,
      /^aio: error: help: unrecognized argument 'check'$/,
    ],
  ];
  for (const [args, usage, error] of cases) {
    assertUsageError(await runCli(args, { cwd: dir }), usage, error);
  }
});

Deno.test("a command's option value is taken as it is, even when it looks like an option", async () => {
  const dir = await tempApp("");
  const set = await runCli(["config", "-s", "app:flag", "-c"], { cwd: dir });
  equal(set.code, 0, set.stderr);
  match(await Deno.readTextFile(`${dir}/aio.conf`), /^flag = -c$/m);
  const help = await runCli(["config", "-s", "app:other", "-h"], { cwd: dir });
  equal(help.code, 0, help.stderr);
  equal(help.stdout, "");
  match(await Deno.readTextFile(`${dir}/aio.conf`), /^other = -h$/m);
});

Deno.test("a usage error a command finds in a value names the command, on one line", async () => {
  const dir = await tempApp("");
  const result = await runCli(["config", "-s", "aio:log_level", " DEBUG"], {
    cwd: dir,
  });
  equal(result.code, 2);
  equal(result.stdout, "");
  match(
    result.stderr,
    /^aio: error: config: Value starts or ends with whitespace[^\n]*\n$/,
  );
  const test = await runCli(["test", "./nope.ts"], { cwd: dir });
  equal(test.code, 2);
  match(
    test.stderr,
    /^aio: error: test: module '\.\/nope\.ts' is not configured/,
  );
});
