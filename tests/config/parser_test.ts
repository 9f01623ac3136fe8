/**
 * The ConfigParser API beyond CPython parity: where values come from, the
 * rules of set/addSection, getList, fallbacks, `${env:NAME}`, reading files
 * (line endings, BOM, bad files) and the size limits that must stay linear.
 */

import assert from "node:assert/strict";
import { throwsKind } from "./_throws.ts";
import { ConfigParser, SET_IN_CODE } from "../../src/config/config_parser.ts";
import { readConfigFile } from "../../src/config/read_file.ts";
import {
  isCommentLine,
  matchOptionLine,
  matchSectionHeader,
  pyStrip,
} from "../../src/config/parser.ts";

async function withTempDir(fn: (dir: string) => Promise<void> | void) {
  const dir = await Deno.makeTempDir({ prefix: "aio_parser_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("source() names the file and line of the winning value", () => {
  const cf = new ConfigParser()
    .readString("[DEFAULT]\nd = 1\n[a]\nk = 1\n  more\nj = 2\n", "base.conf")
    .readString("\n[a]\nj = 3\n", "user.conf");
  assert.deepEqual(cf.source("a", "k"), { file: "base.conf", line: 4 });
  assert.deepEqual(cf.source("a", "J"), { file: "user.conf", line: 3 });
  // An option inherited from DEFAULT comes from DEFAULT's line.
  assert.deepEqual(cf.source("a", "d"), { file: "base.conf", line: 2 });
  assert.deepEqual(cf.source("DEFAULT", "d"), { file: "base.conf", line: 2 });
  assert.deepEqual(cf.files, ["base.conf", "user.conf"]);
  throwsKind(() => cf.source("a", "nope"), "NoOptionError", {
    source: "base.conf",
    line: 3,
  });
  throwsKind(() => cf.source("nope", "k"), "NoSectionError");
  // The returned object is a copy.
  cf.source("a", "k").line = 99;
  assert.equal(cf.source("a", "k").line, 4);
});

Deno.test("sectionSource() is where a section was first declared", () => {
  const cf = new ConfigParser()
    .readString("[a]\n[b]\n", "one.conf")
    .readString("[b]\n[c]\n", "two.conf");
  assert.deepEqual(cf.sectionSource("a"), { file: "one.conf", line: 1 });
  assert.deepEqual(cf.sectionSource("b"), { file: "one.conf", line: 2 });
  assert.deepEqual(cf.sectionSource("c"), { file: "two.conf", line: 2 });
  throwsKind(() => cf.sectionSource("DEFAULT"), "NoSectionError");
  cf.addSection("d");
  assert.deepEqual(cf.sectionSource("d"), { file: SET_IN_CODE, line: 0 });
});

Deno.test("set() and addSection() follow CPython's rules", () => {
  const cf = new ConfigParser().readString("[a]\nk = 1\nj = 2\n");
  cf.set("a", "K", "new");
  assert.equal(cf.get("a", "k"), "new");
  // Replacing keeps the option's place, as a Python dict does.
  assert.deepEqual(cf.options("a"), ["k", "j"]);
  assert.deepEqual(cf.source("a", "k"), { file: SET_IN_CODE, line: 0 });
  cf.set("DEFAULT", "d", "${a:j}");
  assert.equal(cf.get("a", "d"), "2");
  throwsKind(() => cf.set("b", "k", "v"), "NoSectionError");
  const bad = throwsKind(
    () => cf.set("a", "k", "cost: $5"),
    "InterpolationSyntaxError",
  );
  assert.match(bad.detail, /position 6/);
  cf.set("a", "money", "$$5 ${k}");
  assert.equal(cf.get("a", "money"), "$5 new");
  cf.addSection("b");
  assert.deepEqual(cf.sections(), ["a", "b"]);
  assert.deepEqual(cf.options("b"), ["d"]);
  throwsKind(() => cf.addSection("b"), "DuplicateSectionError");
  throwsKind(() => cf.addSection("DEFAULT"), "Invalid");
  // Like CPython, a later read reopens a section added in code.
  cf.readString("[b]\nx = 1\n");
  assert.equal(cf.get("b", "x"), "1");
});

Deno.test("has() checks sections and options", () => {
  const cf = new ConfigParser().readString("[DEFAULT]\nd = 1\n[a]\nk = 2\n");
  assert.ok(cf.has("a"));
  assert.ok(!cf.has("DEFAULT"));
  assert.ok(!cf.has("A"));
  assert.ok(cf.has("a", "K"));
  assert.ok(cf.has("a", "d"));
  assert.ok(cf.has("DEFAULT", "d"));
  assert.ok(!cf.has("DEFAULT", "k"));
  // CPython's has_option reads an empty section name as DEFAULT.
  assert.ok(cf.has("", "d"));
  assert.ok(!cf.has("nope", "d"));
});

Deno.test("getList splits into stripped, non-empty lines", () => {
  const cf = new ConfigParser().readString(
    "[aio]\nmodules =\n    ./a.ts\n\n    ./b.ts#x\n  \u3000./c.ts\u3000\nnone =\none = x\nref = ${one}\n  y\n",
  );
  assert.deepEqual(cf.getList("aio", "modules"), [
    "./a.ts",
    "./b.ts#x",
    "./c.ts",
  ]);
  assert.deepEqual(cf.getList("aio", "none"), []);
  assert.deepEqual(cf.getList("aio", "one"), ["x"]);
  assert.deepEqual(cf.getList("aio", "ref"), ["x", "y"]);
  assert.deepEqual(cf.getList("aio", "missing", { fallback: ["z"] }), ["z"]);
  assert.deepEqual(cf.getList("aio", "ref", { raw: true }), ["${one}", "y"]);
  throwsKind(() => cf.getList("aio", "missing"), "NoOptionError");
});

Deno.test("fallback applies only when the value is missing", () => {
  const cf = new ConfigParser().readString(
    "[a]\nbad = ${nope}\nn = x\nb = maybe\n",
  );
  assert.equal(cf.get("a", "missing", { fallback: undefined }), undefined);
  assert.equal(cf.get("zz", "missing", { fallback: 5 }), 5);
  assert.equal(cf.getInt("a", "missing", { fallback: 7 }), 7);
  assert.equal(cf.getFloat("zz", "x", { fallback: 0.5 }), 0.5);
  assert.equal(cf.getBoolean("a", "missing", { fallback: true }), true);
  throwsKind(
    () => cf.get("a", "bad", { fallback: "x" }),
    "InterpolationMissingOptionError",
    { line: 2 },
  );
  throwsKind(() => cf.getInt("a", "n", { fallback: 1 }), "Invalid", {
    line: 3,
  });
  const bool = throwsKind(() => cf.getBoolean("a", "b"), "Invalid", {
    source: "<string>",
    line: 4,
  });
  assert.equal(
    bool.message,
    `<string>:4: Option 'b' in section 'a' must be a boolean, not "maybe"`,
  );
  // raw skips interpolation before converting.
  const raw = new ConfigParser().readString("[a]\nn = ${m}\nm = 3\n");
  assert.equal(raw.getInt("a", "n"), 3);
  throwsKind(() => raw.getInt("a", "n", { raw: true }), "Invalid");
});

Deno.test("${env:NAME} reads the environment when there is no [env] section", () => {
  const env: Record<string, string> = { HOME: "/home/aio", DOLLAR: "a$b" };
  const cf = new ConfigParser({ env: (name) => env[name] });
  cf.readString(
    "[a]\nhome = ${env:HOME}/app\nnested = ${home}\nmissing = ${env:NOPE}\nraw = ${env:DOLLAR}\ncase = ${env:home}\n",
    "app.conf",
  );
  assert.equal(cf.get("a", "home"), "/home/aio/app");
  assert.equal(cf.get("a", "nested"), "/home/aio/app");
  // The variable's value is used as it is, never expanded.
  assert.equal(cf.get("a", "raw"), "a$b");
  // Variable names keep their case.
  const error = throwsKind(
    () => cf.get("a", "case"),
    "InterpolationMissingOptionError",
    { source: "app.conf", line: 6 },
  );
  assert.match(error.detail, /'home'/);
  throwsKind(
    () => cf.get("a", "missing"),
    "InterpolationMissingOptionError",
    { source: "app.conf", line: 4 },
  );
  // With an [env] section, `env` is just a section, as in CPython.
  cf.readString("[env]\nhome = /from/section\n", "env.conf");
  assert.equal(cf.get("a", "home"), "/from/section/app");
  throwsKind(() => cf.get("a", "raw"), "InterpolationMissingOptionError");
});

Deno.test("${env:NAME} uses Deno.env by default", () => {
  const name = `AIO_PARSER_TEST_${crypto.randomUUID().replaceAll("-", "_")}`;
  Deno.env.set(name, "from-env");
  try {
    const cf = new ConfigParser().readString(`[a]\nv = <\${env:${name}}>\n`);
    assert.equal(cf.get("a", "v"), "<from-env>");
  } finally {
    Deno.env.delete(name);
  }
});

Deno.test("interpolation loops are InterpolationDepthError at the asked value's line", () => {
  const cf = new ConfigParser().readString(
    "[a]\nx = ${y}\ny = ${b:z}\n[b]\nz = ${a:x}\nself = ${self}\n",
    "loop.conf",
  );
  const error = throwsKind(() => cf.get("a", "x"), "InterpolationDepthError", {
    source: "loop.conf",
    line: 2,
  });
  assert.match(error.message, /^loop\.conf:2: Recursion limit exceeded/);
  throwsKind(() => cf.get("b", "self"), "InterpolationDepthError", {
    line: 6,
  });
  assert.equal(cf.get("a", "x", { raw: true }), "${y}");
});

Deno.test("parse errors carry the source and CPython's line", () => {
  throwsKind(
    () => new ConfigParser().readString("[a]\nk = 1\nbad\n", "x.conf"),
    "ParsingError",
    { source: "x.conf", line: 3 },
  );
  const missing = throwsKind(
    () => new ConfigParser().readString("\nk = v\n", "x.conf"),
    "MissingSectionHeaderError",
    { source: "x.conf", line: 2 },
  );
  assert.equal(
    missing.message,
    'x.conf:2: No section header before this line: "k = v"',
  );
});

Deno.test("toString() dumps DEFAULT first, interpolated, continuations tabbed", () => {
  const cf = new ConfigParser().readString(
    "[a]\nk = ${d}\nm = 1\n  2\n[DEFAULT]\nd = D\n",
  );
  assert.equal(
    cf.toString(),
    "[DEFAULT]\nd = D\n\n[a]\nk = D\nm = 1\n\t2\n\n",
  );
});

Deno.test("the exported line helpers follow CPython's rules", () => {
  assert.equal(pyStrip("\x1c\u3000 a b\x85\xa0"), "a b");
  assert.equal(pyStrip("\ufeffa\u200b"), "\ufeffa\u200b");
  assert.ok(isCommentLine("  \u3000# c"));
  assert.ok(isCommentLine(";"));
  assert.ok(!isCommentLine("\ufeff# c"));
  assert.equal(matchSectionHeader("[a]b]"), "a]b");
  assert.equal(matchSectionHeader("[]"), undefined);
  assert.equal(matchSectionHeader("[]]"), "]");
  assert.deepEqual(matchOptionLine("K \u3000: v = w"), {
    key: "K",
    value: "v = w",
  });
  assert.deepEqual(matchOptionLine("= v"), { key: "", value: "v" });
  assert.equal(matchOptionLine("no delimiter"), undefined);
});

Deno.test("read() gives CRLF, CR and LF files the same result", async () => {
  await withTempDir(async (dir) => {
    const text = "[a]\nk = 1\n  2\n\nj = 3\n";
    const results: string[] = [];
    for (
      const [name, newline] of [["lf", "\n"], ["crlf", "\r\n"], ["cr", "\r"]]
    ) {
      const path = `${dir}/${name}.conf`;
      await Deno.writeTextFile(path, text.replaceAll("\n", newline));
      const cf = new ConfigParser().read(path);
      assert.deepEqual(cf.source("a", "j"), { file: path, line: 5 });
      results.push(JSON.stringify(cf.items("a")));
    }
    assert.equal(results[0], JSON.stringify([["k", "1\n2"], ["j", "3"]]));
    assert.deepEqual(new Set(results).size, 1);
  });
});

Deno.test("read() drops a UTF-8 byte order mark", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/bom.conf`;
    await Deno.writeFile(
      path,
      new Uint8Array([
        0xef,
        0xbb,
        0xbf,
        ...new TextEncoder().encode("[a]\nk = é\n"),
      ]),
    );
    const cf = new ConfigParser().read(path);
    assert.deepEqual(cf.sections(), ["a"]);
    assert.equal(cf.get("a", "k"), "é");
  });
});

Deno.test("read() of a missing file or a directory is a ReadError", async () => {
  await withTempDir((dir) => {
    const missing = `${dir}/nope.conf`;
    const error = throwsKind(
      () => new ConfigParser().read(missing),
      "ReadError",
      {
        source: missing,
        line: 0,
      },
    );
    assert.equal(
      error.message,
      `${missing}: Cannot read config file: no such file`,
    );
    const directory = throwsKind(
      () => new ConfigParser().read(dir),
      "ReadError",
      {
        source: dir,
        line: 0,
      },
    );
    assert.match(directory.message, /is a directory$/);
  });
});

Deno.test("read() of a binary or non-UTF-8 file names the line", async () => {
  await withTempDir(async (dir) => {
    const binary = `${dir}/binary.conf`;
    await Deno.writeFile(
      binary,
      new Uint8Array([
        ...new TextEncoder().encode("[a]\nk = v\n"),
        0x7f,
        0x00,
        0x01,
      ]),
    );
    const nul = throwsKind(() => new ConfigParser().read(binary), "ReadError", {
      source: binary,
      line: 3,
    });
    assert.match(nul.detail, /NUL byte at offset 11/);

    const latin1 = `${dir}/latin1.conf`;
    await Deno.writeFile(
      latin1,
      new Uint8Array([
        ...new TextEncoder().encode("[a]\nk = v\nname = caf"),
        0xe9,
        0x0a,
      ]),
    );
    const bad = throwsKind(() => new ConfigParser().read(latin1), "ReadError", {
      source: latin1,
      line: 3,
    });
    assert.match(bad.detail, /invalid byte at offset 20/);
    // The parser is left as it was.
    const cf = new ConfigParser().readString("[x]\n");
    throwsKind(() => cf.read(latin1), "ReadError");
    assert.deepEqual(cf.sections(), ["x"]);
    assert.deepEqual(cf.files, ["<string>"]);
  });
});

Deno.test("readConfigFile decodes what read() parses", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/a.conf`;
    await Deno.writeTextFile(path, "\ufeff[a]\r\nk = v\r\n");
    assert.equal(readConfigFile(path), "[a]\nk = v\n");
  });
});

Deno.test("a 10 MB value reads whole and fast", () => {
  const big = "x".repeat(10 * 1024 * 1024);
  const started = performance.now();
  const cf = new ConfigParser().readString(
    `[a]\nbig = ${big}\nlines = 1\n${"  y\n".repeat(100_000)}after = \${big}\n`,
  );
  assert.equal(cf.get("a", "big").length, big.length);
  assert.equal(cf.get("a", "after").length, big.length);
  assert.equal(cf.get("a", "lines").split("\n").length, 100_001);
  assert.deepEqual(cf.source("a", "after"), {
    file: "<string>",
    line: 100_004,
  });
  const elapsed = performance.now() - started;
  assert.ok(elapsed < 5_000, `took ${elapsed.toFixed(0)} ms`);
});

Deno.test("100,000 sections parse, without quadratic blow-up", () => {
  let text = "[DEFAULT]\nd = D\n";
  for (let i = 0; i < 100_000; i++) text += `[s${i}]\nk = \${d}${i}\n`;
  const started = performance.now();
  const cf = new ConfigParser().readString(text);
  const ms = performance.now() - started;
  assert.equal(cf.sections().length, 100_000);
  assert.equal(cf.get("s99999", "k"), "D99999");
  assert.deepEqual(cf.sectionSource("s99999"), {
    file: "<string>",
    line: 200_001,
  });
  // Not a speed measurement (bench/parse_bench.ts shows linear time): a
  // quadratic parser takes minutes here, a linear one well under a second.
  assert.ok(ms < 15_000, `took ${ms.toFixed(0)} ms`);
});

Deno.test("non-UTF-8 errors point at the first bad byte", async () => {
  const cases: [number[], number][] = [
    [[0x61, 0x80], 1], // a lone continuation byte
    [[0x61, 0xc0, 0xaf], 1], // overlong
    [[0xe0, 0x80, 0xaf], 0], // overlong three-byte form
    [[0x61, 0xed, 0xa0, 0x80], 1], // a surrogate
    [[0xf4, 0x90, 0x80, 0x80], 0], // past U+10FFFF
    [[0x61, 0x62, 0xe2, 0x82], 2], // truncated at the end
    [[0xe2, 0x82, 0xac, 0xff], 3], // after a valid euro sign
  ];
  await withTempDir(async (dir) => {
    for (const [bytes, offset] of cases) {
      const path = `${dir}/bad.conf`;
      // A leading newline puts every bad byte on line 2, one byte later.
      await Deno.writeFile(path, new Uint8Array([0x0a, ...bytes]));
      const error = throwsKind(() => readConfigFile(path), "ReadError", {
        line: 2,
      });
      assert.match(
        error.detail,
        new RegExp(`offset ${offset + 1}$`),
        JSON.stringify(bytes),
      );
    }
  });
});
