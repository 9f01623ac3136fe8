// The command-line parser and the command tables, in-process.
import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import {
  ArgumentError,
  defineCommand,
  formatHelp,
  GLOBAL_OPTIONS,
  parseArgs,
  scanArgs,
} from "../../src/commands/_args.ts";
import { COMMAND_SPECS } from "../../src/commands/specs.ts";
import { BUILTIN_COMMAND_NAMES } from "../../src/commands/names.ts";

const base = { summary: "", description: "", examples: [] };

Deno.test("a command may not define an option that shadows a global one or -h", () => {
  for (
    const [long, short] of [
      ["--config", undefined],
      ["--cfg", "-c"],
      ["--log-level", undefined],
      ["--debug", undefined],
      ["--version", undefined],
      ["--verbose", "-V"],
      ["--help", undefined],
      ["--hide", "-h"],
    ] as const
  ) {
    throws(
      () =>
        defineCommand({
          ...base,
          name: "x",
          options: [{ long, short, help: "" }],
        }),
      (error: Error) =>
        error.message.startsWith(
          `Command 'x' may not define option ${short ?? long}:`,
        ),
      `${long} ${short}`,
    );
  }
  throws(
    () =>
      defineCommand({
        ...base,
        name: "x",
        options: [
          { long: "--out", short: "-o", help: "" },
          { long: "--other", short: "-o", help: "" },
        ],
      }),
    /may not define option -o: it is 'x''s own/,
  );
});

Deno.test("no built-in command's option shadows a global one", () => {
  const globals = new Set(
    GLOBAL_OPTIONS.flatMap((option) => [option.long, option.short]),
  );
  for (const name of BUILTIN_COMMAND_NAMES) {
    for (const option of COMMAND_SPECS[name].options) {
      ok(!globals.has(option.long), `${name} ${option.long}`);
      ok(
        !option.short || !globals.has(option.short),
        `${name} ${option.short}`,
      );
    }
  }
});

Deno.test("scanArgs takes the global options out of a command's words, wherever they are", () => {
  const spec = defineCommand({
    ...base,
    name: "t",
    options: [{ long: "--out", short: "-o", values: ["FILE"], help: "" }],
    arguments: { name: "[X ...]", help: "" },
  });
  const scanned = scanArgs(
    spec,
    ["a", "-c", "app.conf", "-o", "-c", "--debug", "b", "--", "--log-level"],
    { extra: GLOBAL_OPTIONS },
  );
  deepEqual(scanned.rest, ["a", "-o", "-c", "b", "--", "--log-level"]);
  deepEqual(scanned.positionals, ["a", "b", "--log-level"]);
  deepEqual(
    scanned.options.map((use) => [use.option.long, use.values]),
    [["--config", ["app.conf"]], ["--out", ["-c"]], ["--debug", []]],
  );
  const parsed = parseArgs(spec, scanned.rest);
  equal(parsed.value("--out"), "-c");
  deepEqual(parsed.positionals, ["a", "b", "--log-level"]);
});

Deno.test("values attach with = or to the short option; the last one given wins", () => {
  const spec = COMMAND_SPECS.compile;
  equal(parseArgs(spec, ["-oone", "--output=two"]).value("--output"), "two");
  equal(parseArgs(spec, ["--output=", "-o", "x"]).value("--output"), "x");
  equal(
    parseArgs(spec, ["--target", "AARCH64-APPLE-DARWIN"]).value("--target"),
    "aarch64-apple-darwin",
  );
  ok(!parseArgs(spec, []).has("--output"));
});

Deno.test("parse errors are ArgumentErrors carrying the command's usage", () => {
  const error = (() => {
    try {
      parseArgs(COMMAND_SPECS.run, ["--detatch"]);
    } catch (error) {
      return error;
    }
  })();
  ok(error instanceof ArgumentError);
  equal(error.exitCode, 2);
  equal(
    error.usage,
    "usage: aio run [-h] [-d] [--pidfile PATH] [--start-timeout SECONDS] [-w N]",
  );
  equal(
    error.message,
    "run: unrecognized option '--detatch' (did you mean '--detach'?)",
  );
  // Short options do not cluster: each option is one word.
  throws(
    () => parseArgs(COMMAND_SPECS.run, ["-dh"]),
    /run: unrecognized option '-dh'/,
  );
});

Deno.test("every help page has usage, description, options, global options and examples, within 80 columns", () => {
  for (const name of BUILTIN_COMMAND_NAMES) {
    const page = formatHelp(COMMAND_SPECS[name]);
    match(page, new RegExp(`^usage: aio ${name} `));
    for (const heading of ["options:", "global options", "examples:"]) {
      ok(page.includes(`\n\n${heading}`), `${name}: ${heading}`);
    }
    for (const line of page.split("\n")) {
      ok(line.length <= 80, `${name}: ${line}`);
    }
  }
});
