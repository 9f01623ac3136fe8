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
\tapp.ts
\tother.ts

[paths]
data = \${root}/data
`;

Deno.test("aio config dumps defaults and the found user config, interpolated", async () => {
  await withDir({ "aio.conf": USER_CONF, "empty.conf": "" }, async (dir) => {
    const [withUser, defaultsOnly] = await Promise.all([
      aio(dir, "config"),
      aio(dir, "-c", "empty.conf", "config"),
    ]);
    assert.equal(withUser.code, 0, withUser.stderr);
    assert.equal(withUser.stderr, "");
    const out = withUser.stdout;
    assert.ok(out.startsWith("[DEFAULT]\nroot = /srv\n\n[aio]\n"), out);
    assert.ok(out.includes("log_level = DEBUG\n"));
    assert.ok(out.includes("modules = \n\tapp.ts\n\tother.ts\n"), out);
    assert.ok(out.includes("[paths]\ndata = /srv/data\n\n"), out);
    // The defaults' interpolation follows the user's level.
    assert.match(out, /\[logger_root\]\nlevel = DEBUG\n/);
    assert.ok(out.endsWith("\n\n"));
    assert.equal(defaultsOnly.code, 0, defaultsOnly.stderr);
    assert.match(defaultsOnly.stdout, /^\[aio\]\n/);
    assert.match(defaultsOnly.stdout, /log_level = INFO\n/);
  });
});

Deno.test("aio config -g prints a section or one value; -c and -f choose the file", async () => {
  await withDir({
    "aio.conf": USER_CONF,
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
  await withDir({ "aio.conf": USER_CONF }, async (dir) => {
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
      /^aio: error: argument -s\/--set: expected SECTION:OPTION, got 'log_level'$/,
    );
    assertFails(
      noValue,
      2,
      /^aio: error: argument -s\/--set: expected 2 arguments/,
    );
    assertFails(both, 2, /not allowed with argument -s\/--set$/);
    assertFails(
      badValue,
      2,
      /^aio: error: Value starts or ends with whitespace/,
    );
    assertFails(badDollar, 2, /^aio: error: Value has a "\$" at position 1/);
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
    assertFails(unknown, 2, /^aio: error: unrecognized argument: --bogus$/);
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
