/**
 * `aio config` end to end: `deno run -A cli.ts ...` as a subprocess, in a
 * temporary working directory. Runs within a test start together, to keep
 * the wall time down.
 */

import assert from "node:assert/strict";
import { ConfigParser } from "../../src/config/config_parser.ts";
import { parseConfigArgs } from "../../src/commands/config.ts";
import { UsageError } from "../../src/errors.ts";

const CLI = new URL("../../cli.ts", import.meta.url).pathname;
const DENO_JSON = new URL("../../deno.json", import.meta.url).pathname;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function aio(cwd: string, ...args: string[]): Promise<Result> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", DENO_JSON, CLI, ...args],
    cwd,
    env: { NO_COLOR: "1" },
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** Asserts a failure: the exit code and exactly one stderr line matching `message`, no stack trace. */
function assertFails(result: Result, code: number, message: RegExp): void {
  const context = JSON.stringify(result);
  assert.equal(result.code, code, context);
  assert.equal(result.stdout, "", context);
  const lines = result.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, context);
  assert.match(lines[0], message, context);
}

/** Asserts a command-line mistake: exit 2, config's usage lines, then one error line matching `message`. */
function assertUsageError(result: Result, message: RegExp): void {
  const context = JSON.stringify(result);
  assert.equal(result.code, 2, context);
  assert.equal(result.stdout, "", context);
  const lines = result.stderr.trimEnd().split("\n");
  assert.match(lines[0], /^usage: aio config /, context);
  assert.match(lines.at(-1)!, message, context);
  assert.ok(
    lines.slice(1, -1).every((line) => line.startsWith("       aio config ")),
    context,
  );
}

async function withDir(
  files: Record<string, string | Uint8Array>,
  test: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "aio_config_e2e_" });
  try {
    for (const [name, content] of Object.entries(files)) {
      const path = `${dir}/${name}`;
      await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), {
        recursive: true,
      });
      if (typeof content === "string") await Deno.writeTextFile(path, content);
      else await Deno.writeFile(path, content);
    }
    await test(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const USER_CONF = `# my app
[DEFAULT]
root = /srv

[aio]
log_level = DEBUG
modules =
\t./app.ts
\t./other.ts

[paths]
data = \${root}/data
`;

/** The modules USER_CONF lists: aio config imports them for their defaults. */
const USER_MODULES = { "app.ts": "export {};\n", "other.ts": "export {};\n" };

Deno.test("aio config dumps defaults and the found user config, interpolated", async () => {
  await withDir(
    { "aio.conf": USER_CONF, "empty.conf": "", ...USER_MODULES },
    async (dir) => {
      const [withUser, defaultsOnly] = await Promise.all([
        aio(dir, "config"),
        aio(dir, "-c", "empty.conf", "config"),
      ]);
      assert.equal(withUser.code, 0, withUser.stderr);
      assert.equal(withUser.stderr, "");
      const out = withUser.stdout;
      assert.ok(out.startsWith("[DEFAULT]\nroot = /srv\n\n[aio]\n"), out);
      assert.ok(out.includes("log_level = DEBUG\n"));
      assert.ok(out.includes("modules = \n\t./app.ts\n\t./other.ts\n"), out);
      // Each section shows the options it has from DEFAULT, as -g does.
      assert.ok(
        out.includes("[paths]\ndata = /srv/data\nroot = /srv\n\n"),
        out,
      );
      // The defaults' interpolation follows the user's level.
      assert.match(out, /\[logger_root\]\nlevel = DEBUG\n/);
      assert.ok(out.endsWith("\n\n"));
      assert.equal(defaultsOnly.code, 0, defaultsOnly.stderr);
      assert.match(defaultsOnly.stdout, /^\[aio\]\n/);
      assert.match(defaultsOnly.stdout, /log_level = INFO\n/);
    },
  );
});

Deno.test("aio config -g prints a section or one value; -c and -f choose the file", async () => {
  await withDir({
    "aio.conf": USER_CONF,
    ...USER_MODULES,
    "etc/aio.conf": "[aio]\nlog_level = WARNING\n",
    "other.conf": "[aio]\nlog_level = ERROR\n[x:y]\nk = ${aio:log_level}\n",
  }, async (dir) => {
    const [value, section, fromDefault, withC, raw, rawSection, colon, help] =
      await Promise.all([
        aio(dir, "config", "-g", "aio:log_level"),
        aio(dir, "config", "--get", "paths"),
        aio(dir, "config", "-g", "paths:root"),
        aio(dir, "-c", "other.conf", "config", "-g", "x:y:k"),
        aio(dir, "-c", "aio.conf", "config", "-f", "other.conf"),
        aio(dir, "config", "-f", "other.conf", "-g", "x:y"),
        aio(dir, "-c", "other.conf", "config", "-g", "x:y"),
        aio(dir, "config", "-h"),
      ]);
    assert.deepEqual(value, { code: 0, stdout: "DEBUG\n", stderr: "" });
    assert.deepEqual(section, {
      code: 0,
      stdout: "data = /srv/data\nroot = /srv\n",
      stderr: "",
    });
    assert.equal(fromDefault.stdout, "/srv\n");
    assert.equal(withC.stdout, "ERROR\n");
    // -f: that file alone, raw: no built-in sections, no interpolation.
    assert.equal(
      raw.stdout,
      "[aio]\nlog_level = ERROR\n\n[x:y]\nk = ${aio:log_level}\n\n",
    );
    assert.equal(rawSection.stdout, "k = ${aio:log_level}\n");
    // A section whose name holds ':' is found by its whole name.
    assert.equal(colon.stdout, "k = ERROR\n");
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^usage: aio config /);
  });
});

Deno.test("aio config -g of a missing section or option exits 1 with one line", async () => {
  await withDir({ "aio.conf": USER_CONF, ...USER_MODULES }, async (dir) => {
    const [section, option, rawOption] = await Promise.all([
      aio(dir, "config", "-g", "nope"),
      aio(dir, "config", "-g", "aio:nope"),
      aio(dir, "config", "-f", "aio.conf", "-g", "nope:x"),
    ]);
    assertFails(section, 1, /^aio: error: No section 'nope' in aio\.conf$/);
    assertFails(
      option,
      1,
      /^aio: error: No option 'nope' in section 'aio' of aio\.conf$/,
    );
    assertFails(rawOption, 1, /^aio: error: No section 'nope' in aio\.conf$/);
  });
});

Deno.test("aio config reports unreadable and broken files as config errors (78)", async () => {
  await withDir({
    "binary.conf": new Uint8Array([0x5b, 0x61, 0x5d, 0x0a, 0x00, 0x01]),
    "latin1.conf": new Uint8Array([0x5b, 0x61, 0x5d, 0x0a, 0x6b, 0x3d, 0xe9]),
    "loop.conf": "[a]\nx = ${y}\ny = ${x}\n",
    "deep.conf": "[a]\n" +
      Array.from({ length: 12 }, (_, i) => `v${i} = \${v${i + 1}}\n`).join("") +
      "v12 = end\n",
    "syntax.conf": "[a]\nk = v\nnot an option\n",
    "dir.conf/keep": "",
  }, async (dir) => {
    const results = await Promise.all([
      aio(dir, "-c", "missing.conf", "config"),
      aio(dir, "config", "-f", "dir.conf"),
      aio(dir, "config", "-f", "binary.conf"),
      aio(dir, "-c", "latin1.conf", "config", "-g", "a:k"),
      aio(dir, "-c", "loop.conf", "config"),
      aio(dir, "-c", "deep.conf", "config", "-g", "a:v0"),
      aio(dir, "-c", "syntax.conf", "config"),
    ]);
    const expected = [
      /^aio: config error: missing\.conf: Cannot read config file: no such file$/,
      /^aio: config error: dir\.conf: Cannot read config file: is a directory$/,
      /^aio: config error: binary\.conf:2: Not a text file: NUL byte at offset 4$/,
      /^aio: config error: latin1\.conf:2: Not UTF-8 text: invalid byte at offset 6$/,
      /^aio: config error: loop\.conf:2: .+/,
      /^aio: config error: deep\.conf:2: .+/,
      /^aio: config error: syntax\.conf:3: Cannot parse line/,
    ];
    results.forEach((result, index) =>
      assertFails(result, 78, expected[index])
    );
  });
});

Deno.test("aio config -s edits one option in place and keeps every other byte", async () => {
  const text =
    "# keep me\r\n[aio]\r\nLog_Level: INFO\r\n\r\n; and me\r\n[x]\r\nk = 1\r\n";
  await withDir({
    "aio.conf": text,
    "multi.conf": text,
    "named.conf": "[a]\nk = 1\n",
    "named2.conf": "[a]\nk = 1\n",
    "file.conf": "[a]\nk = 1\n",
  }, async (dir) => {
    await Deno.chmod(`${dir}/aio.conf`, 0o640);
    const results = await Promise.all([
      aio(dir, "config", "-s", "aio:log_level", "DEBUG"),
      aio(dir, "config", "-f", "multi.conf", "--set", "x:list", "a.ts\\nb.ts"),
      aio(dir, "-c", "named.conf", "config", "-s", "a:k", "-2"),
      aio(
        dir,
        "-c",
        "named2.conf",
        "config",
        "-f",
        "file.conf",
        "-s",
        "b:k",
        "v",
      ),
    ]);
    for (const result of results) {
      assert.deepEqual(result, { code: 0, stdout: "", stderr: "" });
    }
    const read = (name: string) => Deno.readTextFile(`${dir}/${name}`);
    assert.equal(await read("aio.conf"), text.replace("INFO", "DEBUG"));
    assert.equal((await Deno.stat(`${dir}/aio.conf`)).mode! & 0o777, 0o640);
    assert.equal(
      await read("multi.conf"),
      text + "list = a.ts\r\n    b.ts\r\n",
    );
    assert.equal(await read("named.conf"), "[a]\nk = -2\n");
    assert.equal(await read("named2.conf"), "[a]\nk = 1\n");
    assert.equal(await read("file.conf"), "[a]\nk = 1\n\n[b]\nk = v\n");
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((entry) => entry.name).sort(),
      ["aio.conf", "file.conf", "multi.conf", "named.conf", "named2.conf"],
    );
  });
});

Deno.test("aio config -s writes to the found config, else creates ./aio.conf", async () => {
  await withDir(
    { "found/etc/aio.conf": "[aio]\nlog_level = INFO\n" },
    async (dir) => {
      await Deno.mkdir(`${dir}/empty`);
      const [found, created] = await Promise.all([
        aio(`${dir}/found`, "config", "-s", "aio:log_level", "ERROR"),
        aio(`${dir}/empty`, "config", "-s", "aio:log_level", "DEBUG"),
      ]);
      assert.equal(found.code, 0, found.stderr);
      assert.equal(created.code, 0, created.stderr);
      assert.equal(
        await Deno.readTextFile(`${dir}/found/etc/aio.conf`),
        "[aio]\nlog_level = ERROR\n",
      );
      const path = `${dir}/empty/aio.conf`;
      assert.equal(await Deno.readTextFile(path), "[aio]\nlog_level = DEBUG\n");
      assert.equal((await Deno.stat(path)).mode! & 0o002, 0);
      const parser = new ConfigParser().read(path);
      assert.equal(parser.get("aio", "log_level"), "DEBUG");
    },
  );
});

Deno.test("aio config -s refuses bad usage, bad values, broken and read-only files, changing nothing", async () => {
  const text = "[aio]\nlog_level = INFO\n";
  await withDir({
    "aio.conf": text,
    "readonly.conf": text,
    "broken.conf": "[aio]\nlog_level = INFO\noops\n",
  }, async (dir) => {
    await Deno.chmod(`${dir}/readonly.conf`, 0o444);
    const [
      noKey,
      noValue,
      both,
      badValue,
      badDollar,
      readOnly,
      broken,
      unknown,
      debug,
    ] = await Promise.all([
      aio(dir, "config", "-s", "log_level", "DEBUG"),
      aio(dir, "config", "-s", "aio:log_level"),
      aio(dir, "config", "-g", "aio", "-s", "aio:x", "1"),
      aio(dir, "config", "-s", "aio:log_level", " DEBUG"),
      aio(dir, "config", "-s", "aio:log_level", "5$"),
      aio(dir, "config", "-f", "readonly.conf", "-s", "aio:log_level", "DEBUG"),
      aio(dir, "config", "-f", "broken.conf", "-s", "aio:log_level", "DEBUG"),
      aio(dir, "config", "--bogus"),
      aio(
        dir,
        "--debug",
        "config",
        "-f",
        "broken.conf",
        "-s",
        "aio:log_level",
        "X",
      ),
    ]);
    assertFails(
      noKey,
      2,
      /^aio: error: config: argument -s\/--set: expected SECTION:OPTION, got 'log_level'$/,
    );
    // Mistakes on the command line come after config's usage lines (the CLI's one shape).
    assertUsageError(
      noValue,
      /^aio: error: config: argument -s\/--set: expected 2 arguments/,
    );
    assertFails(
      both,
      2,
      /^aio: error: config: argument -s\/--set: not allowed with argument -g\/--get$/,
    );
    assertFails(
      badValue,
      2,
      /^aio: error: config: Value starts or ends with whitespace/,
    );
    assertFails(
      badDollar,
      2,
      /^aio: error: config: Value has a "\$" at position 1/,
    );
    assertFails(
      readOnly,
      1,
      /^aio: error: Cannot write readonly\.conf: the file is read-only$/,
    );
    assertFails(
      broken,
      78,
      /^aio: config error: broken\.conf:3: Cannot parse line/,
    );
    assertUsageError(
      unknown,
      /^aio: error: config: unrecognized option '--bogus'$/,
    );
    // --debug adds the stack trace the others leave out.
    assert.equal(debug.code, 78);
    assert.match(debug.stderr, /\n\s+at /);
    assert.equal(await Deno.readTextFile(`${dir}/aio.conf`), text);
    assert.equal(await Deno.readTextFile(`${dir}/readonly.conf`), text);
    assert.equal(
      await Deno.readTextFile(`${dir}/broken.conf`),
      "[aio]\nlog_level = INFO\noops\n",
    );
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((entry) => entry.name).sort(),
      ["aio.conf", "broken.conf", "readonly.conf"],
    );
  });
});

Deno.test("aio config copes with a 10 MB value and 100,000 sections", async () => {
  const big = "v".repeat(10 * 1024 * 1024);
  let many = "";
  for (let i = 0; i < 100_000; i++) many += `[s${i}]\nk = ${i}\n\n`;
  await withDir({
    "big.conf": `[a]\nbig = ${big}\nsmall = 1\n`,
    "many.conf": many,
  }, async (dir) => {
    const started = performance.now();
    const [getBig, setBig, dumpMany, getMany, setMany] = await Promise.all([
      aio(dir, "-c", "big.conf", "config", "-g", "a:big"),
      aio(dir, "config", "-f", "big.conf", "-s", "a:small", "2"),
      aio(dir, "-c", "many.conf", "config"),
      aio(dir, "-c", "many.conf", "config", "-g", "s99999:k"),
      aio(dir, "config", "-f", "many.conf", "-s", "s99999:k", "last"),
    ]);
    const elapsed = performance.now() - started;
    assert.equal(getBig.code, 0, getBig.stderr);
    assert.equal(getBig.stdout, big + "\n");
    assert.equal(setBig.code, 0, setBig.stderr);
    assert.equal(
      await Deno.readTextFile(`${dir}/big.conf`),
      `[a]\nbig = ${big}\nsmall = 2\n`,
    );
    assert.equal(dumpMany.code, 0, dumpMany.stderr);
    assert.ok(dumpMany.stdout.endsWith("[s99999]\nk = 99999\n\n"));
    assert.deepEqual(getMany, { code: 0, stdout: "99999\n", stderr: "" });
    assert.equal(setMany.code, 0, setMany.stderr);
    assert.equal(
      await Deno.readTextFile(`${dir}/many.conf`),
      many.replace(/k = 99999\n\n$/, "k = last\n\n"),
    );
    // Generous on a shared machine; a quadratic step would take minutes.
    assert.ok(elapsed < 60_000, `took ${Math.round(elapsed)} ms`);
  });
});

Deno.test("parseConfigArgs reads argparse-style forms (in-process, no subprocess)", () => {
  assert.deepEqual(parseConfigArgs(["--get=aio:x"]).get, {
    section: "aio",
    option: "x",
    text: "aio:x",
  });
  assert.deepEqual(parseConfigArgs(["-ga:b:c"]).get, {
    section: "a:b",
    option: "c",
    text: "a:b:c",
  });
  assert.equal(parseConfigArgs(["-g", "aio"]).get?.option, undefined);
  assert.equal(parseConfigArgs(["--file=x.conf"]).file, "x.conf");
  assert.equal(parseConfigArgs(["-fx.conf"]).file, "x.conf");
  // A value, or a file name, may start with "-".
  assert.deepEqual(parseConfigArgs(["-s", "a:k", "-h"]).set, {
    section: "a",
    option: "k",
    value: "-h",
  });
  assert.equal(parseConfigArgs(["-f", "-g", "-g", "a"]).file, "-g");
  assert.deepEqual(parseConfigArgs(["--set=a:k", "1\\n2"]).set, {
    section: "a",
    option: "k",
    value: "1\n2",
  });
  assert.equal(parseConfigArgs(["-h"]).help, true);
  for (
    const [args, message] of [
      [["-hx"], /^unrecognized argument: -hx$/],
      [["extra"], /^unrecognized argument: extra$/],
      [["-g"], /^argument -g\/--get: expected one argument$/],
      [["-g", "aio:"], /expected SECTION or SECTION:OPTION, got 'aio:'$/],
      [["-s", ":k", "v"], /expected SECTION:OPTION, got ':k'$/],
      [["-s", "a:k", "v", "-s", "a:j", "w"], /given twice$/],
      [["-f", ""], /^argument -f\/--file: expected a file name$/],
    ] as const
  ) {
    assert.throws(
      () => parseConfigArgs(args),
      (error: unknown) =>
        error instanceof UsageError && message.test(error.message),
      args.join(" "),
    );
  }
});

/** Splits a dump into its sections' bodies, by header (values' continuation lines start with a tab). */
function dumpSections(dump: string): Map<string, string> {
  const sections = new Map<string, string>();
  let current: string | undefined;
  for (const line of dump.split("\n")) {
    const header = /^\[(.*)\]$/.exec(line);
    if (header) {
      current = header[1];
      sections.set(current, "");
    } else if (current !== undefined && line !== "") {
      sections.set(current, sections.get(current)! + line + "\n");
    }
  }
  return sections;
}

const WITH_DEFAULT = `[DEFAULT]
root = /srv
level = WARNING
[aio]
log_level = \${level}
[paths]
data = \${root}/data
root = /override
[empty]
[x:y]
k = multi
\tline \${root}
`;

Deno.test("aio config shows every section exactly as -g SECTION does, DEFAULT's options included", async () => {
  await withDir({ "aio.conf": WITH_DEFAULT }, async (dir) => {
    for (const file of [[], ["-f", "aio.conf"]]) {
      const dump = await aio(dir, "config", ...file);
      assert.equal(dump.code, 0, dump.stderr);
      const sections = dumpSections(dump.stdout);
      // The built-in sections (logging's, aio's) as well as the user's.
      assert.equal(sections.size, file.length ? 5 : 9, dump.stdout);
      assert.deepEqual([...sections.keys()].slice(0, 1), ["DEFAULT"]);
      const gets = await Promise.all(
        [...sections.keys()].map((section) =>
          aio(dir, "config", ...file, "-g", section)
        ),
      );
      [...sections].forEach(([section, body], index) => {
        assert.deepEqual(
          gets[index],
          { code: 0, stdout: body, stderr: "" },
          `${file.join(" ")} -g ${section}`,
        );
        if (section !== "DEFAULT") assert.match(body, /^root = /m, section);
      });
      const expected = file.length
        ? "data = ${root}/data\nroot = /override\nlevel = WARNING\n"
        : "data = /override/data\nroot = /override\nlevel = WARNING\n";
      assert.equal(sections.get("paths"), expected);
      assert.equal(
        sections.get("empty"),
        "root = /srv\nlevel = WARNING\n",
      );
    }
  });
});

Deno.test("aio config --json: every section and option with its value and FILE:LINE; -g gives the matching part", async () => {
  await withDir({ "aio.conf": WITH_DEFAULT }, async (dir) => {
    const [whole, raw, section, option, colon, text, missing] = await Promise
      .all([
        aio(dir, "config", "--json"),
        aio(dir, "config", "-f", "aio.conf", "--json"),
        aio(dir, "config", "-g", "paths", "--json"),
        aio(dir, "config", "--json", "--get", "paths:data"),
        aio(dir, "config", "--json", "-g", "x:y"),
        aio(dir, "config"),
        aio(dir, "config", "--json", "-g", "paths:nope"),
      ]);
    for (const result of [whole, raw, section, option, colon]) {
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr, "");
      assert.ok(result.stdout.endsWith("}\n"));
    }
    const config = JSON.parse(whole.stdout);
    assert.deepEqual(Object.keys(config), ["files", "sections"]);
    assert.deepEqual(config.files, ["<aio defaults>", "aio.conf"]);
    assert.deepEqual(config.sections.paths.data, {
      value: "/override/data",
      source: "aio.conf:7",
      file: "aio.conf",
      line: 7,
    });
    // An option a section has from DEFAULT points at DEFAULT's line.
    assert.deepEqual(config.sections.paths.level.source, "aio.conf:3");
    assert.equal(config.sections.aio.log_level.value, "WARNING");
    assert.equal(config.sections.aio.log_level.source, "aio.conf:5");
    assert.match(
      config.sections.aio.shutdown_timeout.source,
      /^<aio defaults>:\d+$/,
    );
    assert.equal(config.sections["x:y"].k.value, "multi\nline /srv");
    assert.deepEqual(config.sections.empty, {
      root: { value: "/srv", source: "aio.conf:2", file: "aio.conf", line: 2 },
      level: {
        value: "WARNING",
        source: "aio.conf:3",
        file: "aio.conf",
        line: 3,
      },
    });
    // The same sections and options, in the same order, as the text dump.
    const dump = dumpSections(text.stdout);
    assert.deepEqual(Object.keys(config.sections), [...dump.keys()]);
    for (const [name, body] of dump) {
      const lines = Object.entries(config.sections[name]).map((
        [option, entry],
      ) =>
        `${option} = ${
          (entry as { value: string }).value.replaceAll("\n", "\n\t")
        }\n`
      );
      assert.equal(lines.join(""), body, name);
    }
    // -g SECTION and -g SECTION:OPTION print the matching part of the whole.
    assert.deepEqual(JSON.parse(section.stdout), config.sections.paths);
    assert.deepEqual(JSON.parse(option.stdout), config.sections.paths.data);
    assert.deepEqual(JSON.parse(colon.stdout), config.sections["x:y"]);
    // -f: that file alone, raw.
    const rawConfig = JSON.parse(raw.stdout);
    assert.deepEqual(rawConfig.files, ["aio.conf"]);
    assert.equal(rawConfig.sections.paths.data.value, "${root}/data");
    assert.deepEqual(rawConfig.sections.aio.log_level, {
      value: "${level}",
      source: "aio.conf:5",
      file: "aio.conf",
      line: 5,
    });
    assert.deepEqual(Object.keys(rawConfig.sections), [
      "DEFAULT",
      "aio",
      "paths",
      "empty",
      "x:y",
    ]);
    assertFails(
      missing,
      1,
      /^aio: error: No option 'nope' in section 'paths' of aio\.conf$/,
    );
  });
});

Deno.test("aio config -s decodes Python's escapes in VALUE; a bad one is a usage error that writes nothing", async () => {
  await withDir({
    "aio.conf": "[a]\nk = 1\n",
  }, async (dir) => {
    const set = await aio(
      dir,
      "config",
      "-s",
      "a:k",
      String.raw`tab\there\nnext \\n \x41\u00e9\U0001F600 \'q\" C:\\temp \d`,
    );
    assert.deepEqual(set, { code: 0, stdout: "", stderr: "" });
    const parser = new ConfigParser().read(`${dir}/aio.conf`);
    assert.equal(
      parser.get("a", "k"),
      "tab\there\nnext \\n Aé😀 'q\" C:\\temp \\d",
    );
    const before = await Deno.readTextFile(`${dir}/aio.conf`);
    const bad = await Promise.all([
      aio(dir, "config", "-s", "a:k", String.raw`x\x4`),
      aio(dir, "config", "-s", "a:k", String.raw`\U00110000`),
      aio(dir, "config", "-s", "a:k", "ends\\"),
      aio(dir, "config", "-s", "a:k", String.raw`\N{BULLET}`),
      aio(dir, "config", "-s", "a:k", String.raw`a\rb`),
      aio(dir, "config", "-s", "a:k", String.raw`nul\0`),
    ]);
    const messages = [
      /^aio: error: config: argument -s\/--set: bad escape in VALUE at position 1: truncated \\xXX escape$/,
      /^aio: error: config: argument -s\/--set: bad escape in VALUE at position 0: \\U00110000 is beyond U\+10FFFF$/,
      /^aio: error: config: argument -s\/--set: bad escape in VALUE at position 4: a lone "\\" ends the value/,
      /^aio: error: config: argument -s\/--set: bad escape in VALUE at position 0: \\N\{NAME\} escapes are not supported/,
      /^aio: error: config: Value contains a carriage return/,
      /^aio: error: config: Value contains a NUL byte$/,
    ];
    bad.forEach((result, index) => assertFails(result, 2, messages[index]));
    assert.equal(await Deno.readTextFile(`${dir}/aio.conf`), before);
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((entry) => entry.name),
      ["aio.conf"],
    );
  });
});

Deno.test("aio config --unset removes one option, keeping every other byte", async () => {
  const text =
    "# keep me\r\n[aio]\r\nLog_Level: INFO\r\nmodules =\r\n\ta.ts\r\n\tb.ts\r\n\r\n; and me\r\n[x]\r\nk = 1\r\n";
  await withDir({
    "aio.conf": text,
    "named.conf": "[a]\nk = 1\nj = 2\n",
    "etc/found.conf": "",
  }, async (dir) => {
    await Deno.chmod(`${dir}/aio.conf`, 0o640);
    const results = await Promise.all([
      aio(dir, "config", "--unset", "aio:modules"),
      aio(dir, "-c", "named.conf", "config", "--unset=a:K"),
    ]);
    for (const result of results) {
      assert.deepEqual(result, { code: 0, stdout: "", stderr: "" });
    }
    assert.equal(
      await Deno.readTextFile(`${dir}/aio.conf`),
      text.replace("modules =\r\n\ta.ts\r\n\tb.ts\r\n", ""),
    );
    assert.equal((await Deno.stat(`${dir}/aio.conf`)).mode! & 0o777, 0o640);
    assert.equal(await Deno.readTextFile(`${dir}/named.conf`), "[a]\nj = 2\n");
    // Unsetting the last option keeps the header; the file still reads.
    const last = await aio(dir, "config", "-f", "aio.conf", "--unset", "x:k");
    assert.equal(last.code, 0, last.stderr);
    assert.ok((await Deno.readTextFile(`${dir}/aio.conf`)).endsWith("[x]\r\n"));
    const check = await aio(dir, "config", "-f", "aio.conf", "-g", "x");
    assert.deepEqual(check, { code: 0, stdout: "", stderr: "" });
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((entry) => entry.name).sort(),
      ["aio.conf", "etc", "named.conf"],
    );
  });
});

Deno.test("aio config --unset of what the file does not set exits 5 and writes nothing", async () => {
  const text = "[DEFAULT]\nroot = /\n[aio]\nlog_level = INFO\n";
  await withDir({ "aio.conf": text, "sub/keep": "" }, async (dir) => {
    const results = await Promise.all([
      aio(dir, "config", "--unset", "aio:shutdown_timeout"),
      aio(dir, "config", "--unset", "nope:x"),
      aio(dir, "config", "--unset", "aio:root"),
      aio(dir, "config", "-f", "missing.conf", "--unset", "aio:x"),
      aio(`${dir}/sub`, "config", "--unset", "aio:x"),
      aio(dir, "config", "--unset", "aio"),
      aio(dir, "config", "--unset", "aio:x", "--json"),
    ]);
    const expected: [number, RegExp][] = [
      [
        5,
        /^aio: error: No option 'shutdown_timeout' in section 'aio' of aio\.conf: nothing to unset$/,
      ],
      [5, /^aio: error: No section 'nope' in aio\.conf: nothing to unset$/],
      [
        5,
        /^aio: error: Option 'root' of section 'aio' comes from \[DEFAULT\] in aio\.conf: unset DEFAULT:root/,
      ],
      [5, /^aio: error: No section 'aio' in missing\.conf: nothing to unset$/],
      [5, /^aio: error: No section 'aio' in aio\.conf: nothing to unset$/],
      [
        2,
        /^aio: error: config: argument --unset: expected SECTION:OPTION, got 'aio'$/,
      ],
      [
        2,
        /^aio: error: config: argument --json: not allowed with argument --unset$/,
      ],
    ];
    results.forEach((result, index) => assertFails(result, ...expected[index]));
    assert.equal(await Deno.readTextFile(`${dir}/aio.conf`), text);
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((entry) => entry.name).sort(),
      ["aio.conf", "sub"],
    );
    assert.deepEqual([...Deno.readDirSync(`${dir}/sub`)].map((e) => e.name), [
      "keep",
    ]);
  });
});

Deno.test("parseConfigArgs reads --json, --unset and --lock-timeout and refuses their misuse", () => {
  assert.deepEqual(parseConfigArgs(["--unset", "a:b:c"]).unset, {
    section: "a:b",
    option: "c",
  });
  assert.equal(parseConfigArgs(["--json"]).json, true);
  assert.equal(
    parseConfigArgs(["--lock-timeout", "2.5", "-s", "a:k", "v"]).lockTimeoutMs,
    2500,
  );
  assert.equal(parseConfigArgs(["--lock-timeout=0"]).lockTimeoutMs, 0);
  assert.equal(parseConfigArgs([]).lockTimeoutMs, undefined);
  assert.equal(
    parseConfigArgs(["-s", "a:k", String.raw`\\n`]).set?.value,
    "\\n",
  );
  for (
    const [args, message] of [
      [["--unset"], /^argument --unset: expected one argument$/],
      [
        ["--unset", "a:"],
        /expected SECTION:OPTION, got 'a:'$/,
      ],
      [["--unset", "a:b", "--unset", "b:c"], /^argument --unset: given twice$/],
      [
        ["-s", "a:k", "v", "--unset", "a:k"],
        /^argument --unset: not allowed with argument -s\/--set$/,
      ],
      [
        ["--unset", "a:k", "-g", "a"],
        /^argument --unset: not allowed with argument -g\/--get$/,
      ],
      [
        ["--json", "-s", "a:k", "v"],
        /^argument --json: not allowed with argument -s\/--set$/,
      ],
      [["--json=1"], /^unrecognized argument: --json=1$/],
      [
        ["--lock-timeout", "-1"],
        /^argument --lock-timeout: expected seconds \(0 to 86400\), got '-1'$/,
      ],
      [["--lock-timeout", "soon"], /got 'soon'$/],
      [["--lock-timeout", "1e9"], /got '1e9'$/],
      [
        ["-s", "a:k", "\\x"],
        /^argument -s\/--set: bad escape in VALUE at position 0: truncated \\xXX escape$/,
      ],
    ] as const
  ) {
    assert.throws(
      () => parseConfigArgs(args),
      (error: unknown) =>
        error instanceof UsageError && message.test(error.message),
      args.join(" "),
    );
  }
});

/** The fenced blocks of README.md's `aio config` section, by language, in order. */
async function readmeBlocks(language: string): Promise<string[]> {
  const readme = await Deno.readTextFile(
    new URL("../../README.md", import.meta.url),
  );
  const start = readme.indexOf("\n### `aio config`\n");
  assert.ok(start >= 0, "README.md has an `aio config` section");
  const end = readme.indexOf("\n## ", start);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const blocks: string[] = [];
  const fence = new RegExp("```" + language + "\\n([\\s\\S]*?)```", "g");
  for (const match of section.matchAll(fence)) blocks.push(match[1]);
  return blocks;
}

/** Splits a shell command line: words, single-quoted words, a trailing `# comment` dropped. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const match of line.matchAll(/'([^']*)'|(#.*$)|(\S+)/g)) {
    if (match[2] !== undefined) break;
    words.push(match[1] ?? match[3]);
  }
  return words;
}

Deno.test("README's aio config commands run as shown, on the example config", async () => {
  const [commands] = await readmeBlocks("sh");
  const example = await Deno.readTextFile(
    new URL("../../aio.conf", import.meta.url),
  );
  // aio config imports the modules the config lists: the examples, seen
  // from the temporary directory, and the mod.ts they import.
  const files = {
    "aio.conf": example,
    "mod.ts": `export * from ${
      JSON.stringify(new URL("../../mod.ts", import.meta.url).href)
    };\n`,
  };
  await withDir(files, async (dir) => {
    await Deno.symlink(
      new URL("../../examples", import.meta.url).pathname,
      `${dir}/examples`,
    );
    const lines = commands.trim().split("\n");
    assert.ok(lines.length >= 8, commands);
    for (const line of lines) {
      const [aioWord, ...args] = shellWords(line);
      assert.equal(aioWord, "aio", line);
      const result = await aio(dir, ...args);
      assert.equal(result.code, 0, `${line}: ${result.stderr}`);
      assert.equal(result.stderr, "", line);
    }
    const parser = new ConfigParser().read(`${dir}/aio.conf`);
    assert.equal(
      parser.get("aio", "modules"),
      "./examples/seed/app.ts\n./examples/http_hello/hello.ts",
    );
    assert.equal(parser.has("aio", "log_level"), false);
  });
});

Deno.test("README's aio config --json example is what aio prints for its config", async () => {
  const [ini] = await readmeBlocks("ini");
  const [json] = await readmeBlocks("json");
  await withDir({ "aio.conf": ini }, async (dir) => {
    const result = await aio(dir, "config", "--json");
    assert.equal(result.code, 0, result.stderr);
    const actual = JSON.parse(result.stdout);
    const shown = JSON.parse(json);
    assert.deepEqual(actual.files, shown.files);
    for (const [name, section] of Object.entries(shown.sections)) {
      assert.deepEqual(actual.sections[name], section, name);
    }
  });
});
