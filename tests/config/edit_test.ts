import assert from "node:assert/strict";
import {
  EditError,
  joinLines,
  NotSetError,
  type RawLine,
  setOption,
  splitRawLines,
  unsetOption,
} from "../../src/config/edit.ts";
import { ConfigError } from "../../src/config/errors.ts";
import { ConfigParser } from "../../src/config/config_parser.ts";
import {
  createStore,
  DEFAULT_SECTION,
  readInto,
} from "../../src/config/parser.ts";

const DOC = `# The app's config
; keep this comment

[aio]
modules = app.ts
# a comment between options
log_level = INFO

[listen/hello]
hello = app.ts#hello

# trailing comment
`;

/** Reads `text` as a config file would be read: universal newlines, BOM dropped. */
function read(text: string): ConfigParser {
  return new ConfigParser().readString(
    text.replace(/^\ufeff/, "").replace(/\r\n?/g, "\n"),
    "test.conf",
  );
}

Deno.test("setOption replaces one value and keeps every other byte", () => {
  const edited = setOption(DOC, "aio", "log_level", "DEBUG");
  assert.equal(edited, DOC.replace("log_level = INFO", "log_level = DEBUG"));
});

Deno.test("setOption keeps the key's spelling, delimiter and indentation", () => {
  const text = "[aio]\n  Log_Level:INFO\nother = 1\n";
  assert.equal(
    setOption(text, "aio", "LOG_LEVEL", "DEBUG"),
    "[aio]\n  Log_Level:DEBUG\nother = 1\n",
  );
  assert.equal(
    setOption("[a]\nkey: value\n", "a", "key", "new"),
    "[a]\nkey: new\n",
  );
});

Deno.test("setOption fills an empty value in the file's style", () => {
  assert.equal(setOption("[a]\nk =\n", "a", "k", "v"), "[a]\nk = v\n");
  assert.equal(setOption("[a]\nk=\n", "a", "k", "v"), "[a]\nk=v\n");
  assert.equal(setOption("[a]\nk = v\n", "a", "k", ""), "[a]\nk =\n");
});

Deno.test("setOption turns a multi-line value into one line and back", () => {
  const text =
    "[aio]\nmodules =\n\tone.ts\n\n\t# not part of it\n\ttwo.ts\nx = 1\n";
  const single = setOption(text, "aio", "modules", "only.ts");
  assert.equal(single, "[aio]\nmodules = only.ts\nx = 1\n");
  const multi = setOption(text, "aio", "modules", "a.ts\nb.ts");
  // The existing continuation indent (a tab) is kept.
  assert.equal(multi, "[aio]\nmodules = a.ts\n\tb.ts\nx = 1\n");
  assert.equal(read(multi).get("aio", "modules"), "a.ts\nb.ts");
});

Deno.test("setOption writes blank lines and a leading empty line inside a value", () => {
  const edited = setOption("[a]\nk = v\n", "a", "k", "\nfirst\n\nlast");
  assert.equal(edited, "[a]\nk =\n    first\n\n    last\n");
  assert.equal(read(edited).get("a", "k", { raw: true }), "\nfirst\n\nlast");
});

Deno.test("setOption indents new continuation lines as the file does", () => {
  const text = "[a]\nlist =\n  x\n  y\nk = v\n";
  assert.equal(
    setOption(text, "a", "k", "1\n2"),
    "[a]\nlist =\n  x\n  y\nk = 1\n  2\n",
  );
  // Indented keys: continuation deeper than the key, new keys at the same depth.
  const indented = "[a]\n  k = v\n";
  assert.equal(
    setOption(indented, "a", "k", "1\n2"),
    "[a]\n  k = 1\n      2\n",
  );
  assert.equal(
    setOption(indented, "a", "new", "n"),
    "[a]\n  k = v\n  new = n\n",
  );
});

Deno.test("setOption adds an option after the section's last option", () => {
  const edited = setOption(DOC, "aio", "shutdown_timeout", "5");
  assert.equal(
    edited,
    DOC.replace(
      "log_level = INFO\n",
      "log_level = INFO\nshutdown_timeout = 5\n",
    ),
  );
  // Before the blank and comment lines that end the last section.
  const last = setOption(DOC, "listen/hello", "bye", "app.ts#bye");
  assert.equal(
    last,
    DOC.replace(
      "hello = app.ts#hello\n",
      "hello = app.ts#hello\nbye = app.ts#bye\n",
    ),
  );
  // After the last continuation line of a multi-line last option.
  assert.equal(
    setOption("[a]\nk =\n  1\n  2\n\n[b]\n", "a", "n", "x"),
    "[a]\nk =\n  1\n  2\nn = x\n\n[b]\n",
  );
});

Deno.test("setOption writes new option names lowercased, as they read", () => {
  const edited = setOption("[a]\n", "a", "NewKey", "v");
  assert.equal(edited, "[a]\nnewkey = v\n");
});

Deno.test("setOption adds an option to an empty section right after its header", () => {
  assert.equal(
    setOption("[a]\n# about a\n\n[b]\nx = 1\n", "a", "k", "v"),
    "[a]\nk = v\n# about a\n\n[b]\nx = 1\n",
  );
});

Deno.test("setOption indents a key in an empty section so an indented next line stays put", () => {
  // The tab-indented header would become a continuation of a key at column 0.
  const text = "[b]\n    # note\n\t[DEFAULT]\n\tk = v\n";
  const edited = setOption(text, "b", "new", "1\n2");
  assert.equal(
    edited,
    "[b]\n\tnew = 1\n\t    2\n    # note\n\t[DEFAULT]\n\tk = v\n",
  );
  assert.equal(read(edited).get("b", "k"), "v");
});

Deno.test("setOption appends a new section with a blank line before it", () => {
  assert.equal(
    setOption(DOC, "new", "k", "v"),
    DOC + "\n[new]\nk = v\n",
  );
  assert.equal(
    setOption("[a]\nx = 1\n\n", "b", "k", "v"),
    "[a]\nx = 1\n\n[b]\nk = v\n",
  );
  assert.equal(setOption("", "a", "k", "v"), "[a]\nk = v\n");
  assert.equal(
    setOption("# only a comment\n", "a", "k", "v"),
    "# only a comment\n\n[a]\nk = v\n",
  );
});

Deno.test("setOption keeps a missing final newline missing", () => {
  assert.equal(setOption("[a]\nk = v", "a", "k", "w"), "[a]\nk = w");
  assert.equal(setOption("[a]\nk = v", "a", "n", "1"), "[a]\nk = v\nn = 1");
  assert.equal(
    setOption("[a]\nk = v", "b", "n", "1"),
    "[a]\nk = v\n\n[b]\nn = 1",
  );
});

Deno.test("setOption edits DEFAULT like any section", () => {
  const text = "[DEFAULT]\nbase = /srv\n\n[a]\npath = ${base}/a\n";
  assert.equal(
    setOption(text, DEFAULT_SECTION, "base", "/opt"),
    "[DEFAULT]\nbase = /opt\n\n[a]\npath = ${base}/a\n",
  );
  assert.equal(
    setOption(text, DEFAULT_SECTION, "user", "me"),
    "[DEFAULT]\nbase = /srv\nuser = me\n\n[a]\npath = ${base}/a\n",
  );
  // DEFAULT with a header and no options yet.
  assert.equal(
    setOption("[DEFAULT]\n\n[a]\n", DEFAULT_SECTION, "k", "v"),
    "[DEFAULT]\nk = v\n\n[a]\n",
  );
  // No DEFAULT at all: appended, which reads the same.
  const added = setOption("[a]\nx = ${k}\n", DEFAULT_SECTION, "k", "v");
  assert.equal(added, "[a]\nx = ${k}\n\n[DEFAULT]\nk = v\n");
  assert.equal(read(added).get("a", "x"), "v");
  // An option only inherited from DEFAULT becomes the section's own.
  assert.equal(
    setOption(text, "a", "base", "/home"),
    "[DEFAULT]\nbase = /srv\n\n[a]\npath = ${base}/a\nbase = /home\n",
  );
});

Deno.test("setOption keeps CRLF, lone CR and mixed line endings, and the BOM", () => {
  const crlf = "\ufeff[a]\r\nk = v\r\nm =\r\n  1\r\n";
  assert.equal(
    setOption(crlf, "a", "m", "x\ny"),
    "\ufeff[a]\r\nk = v\r\nm = x\r\n  y\r\n",
  );
  assert.equal(
    setOption(crlf, "a", "n", "z"),
    "\ufeff[a]\r\nk = v\r\nm =\r\n  1\r\nn = z\r\n",
  );
  assert.equal(
    setOption(crlf, "b", "n", "z"),
    "\ufeff[a]\r\nk = v\r\nm =\r\n  1\r\n\r\n[b]\r\nn = z\r\n",
  );
  const mixed = "[a]\r\nk = v\nx = 1\rn = 2\r\n";
  assert.equal(
    setOption(mixed, "a", "x", "9"),
    "[a]\r\nk = v\nx = 9\rn = 2\r\n",
  );
});

Deno.test("setOption does not mistake text inside a value for a header", () => {
  const text = "[a]\nbody =\n    [b]\n    x = 1\n[b]\ny = 2\n";
  assert.equal(
    setOption(text, "b", "z", "3"),
    "[a]\nbody =\n    [b]\n    x = 1\n[b]\ny = 2\nz = 3\n",
  );
  assert.equal(
    setOption(text, "a", "n", "v"),
    "[a]\nbody =\n    [b]\n    x = 1\nn = v\n[b]\ny = 2\n",
  );
  // A header-like DEFAULT inside a value is no DEFAULT section.
  const fake = "[a]\nbody =\n  [DEFAULT]\n";
  assert.equal(
    setOption(fake, DEFAULT_SECTION, "k", "v"),
    "[a]\nbody =\n  [DEFAULT]\n\n[DEFAULT]\nk = v\n",
  );
});

Deno.test("setOption accepts section names with ':' and ']' and spaces", () => {
  for (const section of ["a:b", "x]y", "with space", "aio/commands"]) {
    const edited = setOption("[a]\n", section, "k", "v");
    assert.equal(read(edited).get(section, "k"), "v", section);
  }
});

Deno.test("setOption refuses values the format cannot hold, naming the problem", () => {
  const cases: [string, RegExp][] = [
    [" padded", /^Value starts or ends with whitespace/],
    ["padded\t", /^Value starts or ends with whitespace/],
    ["a\n b", /^Value line 2 starts or ends with whitespace/],
    ["a\n#b", /^Value line 2 starts with "#"/],
    ["a\n;b", /^Value line 2 starts with ";"/],
    ["a\n", /^Value ends with a blank line/],
    ["cost $5", /^Value has a "\$" at position 5/],
    ["a\rb", /carriage return/],
    ["a\0b", /NUL/],
  ];
  for (const [value, message] of cases) {
    assert.throws(
      () => setOption("[a]\nk = v\n", "a", "k", value),
      (error: unknown) =>
        error instanceof EditError && message.test(error.message) &&
        !error.message.includes("\n"),
      JSON.stringify(value),
    );
  }
  // Allowed: '#' on the first line, '$$' and references.
  const edited = setOption("[a]\n", "a", "k", "#1 $$ ${x}");
  assert.equal(read(edited).get("a", "k", { raw: true }), "#1 $$ ${x}");
});

Deno.test("setOption refuses bad option and section names", () => {
  for (const option of ["", " k", "a=b", "a:b", "#k", ";k", "[k", "a\nb"]) {
    assert.throws(
      () => setOption("[a]\n", "a", option, "v"),
      EditError,
      JSON.stringify(option),
    );
  }
  for (const section of ["", "a\nb"]) {
    assert.throws(() => setOption("[a]\n", section, "k", "v"), EditError);
  }
});

Deno.test("setOption refuses a document that does not parse, with its line", () => {
  assert.throws(
    () =>
      setOption("[a]\nk = v\nnot an option\n", "a", "k", "w", {
        source: "app.conf",
      }),
    (error: unknown) =>
      error instanceof ConfigError && error.source === "app.conf" &&
      error.line === 3,
  );
  assert.throws(
    () => setOption("k = v\n", "a", "k", "w"),
    (error: unknown) => error instanceof ConfigError && error.line === 1,
  );
});

Deno.test("splitRawLines and joinLines rebuild any text byte for byte", () => {
  for (const text of ["", "a", "a\n", "a\r\nb\rc\n\n", "\r\r\n\n", "x\ny"]) {
    assert.equal(joinLines(splitRawLines(text)), text);
  }
  assert.deepEqual(splitRawLines("a\r\nb\rc"), [
    { text: "a", eol: "\r\n" },
    { text: "b", eol: "\r" },
    { text: "c", eol: "" },
  ]);
});

Deno.test("setOption keeps 100,000 sections intact and stays fast", () => {
  let text = "";
  for (let i = 0; i < 100_000; i++) text += `[s${i}]\nk = ${i}\n\n`;
  const started = performance.now();
  const edited = setOption(text, "s50000", "k", "changed");
  const elapsed = performance.now() - started;
  assert.equal(edited, text.replace("k = 50000\n", "k = changed\n"));
  // Generous: a few hundred ms here; quadratic work would take minutes.
  assert.ok(elapsed < 10_000, `took ${elapsed} ms`);
});

Deno.test("setOption handles a 10 MB value", () => {
  const big = "x".repeat(10 * 1024 * 1024);
  const edited = setOption("[a]\nk = v\n# end\n", "a", "k", big);
  assert.equal(edited, `[a]\nk = ${big}\n# end\n`);
  assert.equal(setOption(edited, "a", "k", "small"), "[a]\nk = small\n# end\n");
});

/** A tiny seeded PRNG, so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

function generateDocument(next: () => number): string {
  const pick = <T>(items: readonly T[]) =>
    items[Math.floor(next() * items.length)];
  const eol = pick(["\n", "\r\n"]);
  const lines: string[] = [];
  const sections = ["DEFAULT", "a", "b:c", "d e", "f"].filter(() =>
    next() < 0.7
  );
  for (const section of sections) {
    if (next() < 0.3) {
      lines.push(pick(["# note", "; note", "", "   # indented"]));
    }
    lines.push(`${pick(["", "", " "])}[${section}]`);
    const indent = pick(["", "", " "]);
    for (const key of ["one", "Two", "three"]) {
      if (next() < 0.4) continue;
      if (section !== "DEFAULT" && next() < 0.2) continue;
      const delimiter = pick([" = ", "=", ": ", " :"]);
      lines.push(`${indent}${key}${delimiter}${pick(["v", "", "x y"])}`);
      const continuation = pick(["\t", "    ", "  "]);
      for (let i = 0; i < Math.floor(next() * 3); i++) {
        lines.push(
          pick([
            `${indent}${continuation}line${i}`,
            "",
            `${indent}${continuation}# c`,
          ]),
        );
      }
      if (next() < 0.2) lines.push(pick(["# between", ""]));
    }
    if (next() < 0.5) lines.push("");
  }
  return lines.join(eol) + (next() < 0.8 ? eol : "");
}

function parseStore(text: string) {
  const store = createStore();
  readInto(store, text.replace(/\r\n?/g, "\n"), "t");
  return store;
}

/**
 * Checks that `after` is `before` with lines `from` to `to` (0-based,
 * exclusive) replaced, or, without a range, with lines only inserted.
 */
function assertOnlyLinesChanged(
  before: string,
  after: string,
  range: [number, number] | undefined,
  context: string,
) {
  const a = splitRawLines(before);
  const b = splitRawLines(after);
  if (range) {
    const [from, to] = range;
    assert.deepEqual(b.slice(0, from), a.slice(0, from), context);
    assert.deepEqual(b.slice(b.length - (a.length - to)), a.slice(to), context);
    return;
  }
  const same = (x: RawLine, y: RawLine) =>
    x.text === y.text && (x.eol === y.eol || x.eol === "");
  let head = 0;
  while (head < a.length && head < b.length && same(a[head], b[head])) head++;
  let tail = 0;
  while (
    tail < a.length - head &&
    same(a[a.length - 1 - tail], b[b.length - 1 - tail])
  ) tail++;
  assert.equal(
    head + tail,
    a.length,
    `${context}: lines changed, not only added`,
  );
}

function entryRange(text: string, section: string, option: string) {
  const store = parseStore(text);
  const options = section === DEFAULT_SECTION
    ? store.defaults
    : store.sections.get(section);
  const entry = options?.get(option.toLowerCase());
  return entry
    ? [entry.source.line - 1, entry.endLine] as [number, number]
    : undefined;
}

Deno.test("setOption round-trips on generated documents", () => {
  const next = random(42);
  let edits = 0;
  for (let doc = 0; doc < 300; doc++) {
    const text = generateDocument(next);
    let store;
    try {
      store = parseStore(text);
    } catch (error) {
      // An indented header can turn into a continuation and repeat a key.
      if (error instanceof ConfigError) continue;
      throw error;
    }
    const targets: [string, string][] = [["new section", "k"], [
      DEFAULT_SECTION,
      "fresh",
    ]];
    for (
      const [name, options] of [
        [DEFAULT_SECTION, store.defaults] as const,
        ...store.sections,
      ]
    ) {
      targets.push([name, "fresh"]);
      for (const option of options.keys()) targets.push([name, option]);
    }
    for (const [section, option] of targets) {
      for (const value of ["new", "", "m1\n\nm2", "\nlead"]) {
        const context = `doc ${doc} ${section}:${option}=${
          JSON.stringify(value)
        } in ${JSON.stringify(text)}`;
        const edited = setOption(text, section, option, value);
        assert.equal(
          read(edited).get(section, option, { raw: true }),
          value,
          context,
        );
        assertOnlyLinesChanged(
          text,
          edited,
          entryRange(text, section, option),
          context,
        );
        edits++;
      }
    }
  }
  assert.ok(edits > 1000, `only ${edits} edits`);
});

Deno.test("setOption round-trips on every document of the CPython parity fixtures", async () => {
  const golden = JSON.parse(
    await Deno.readTextFile(
      new URL("../fixtures/configparser/golden.json", import.meta.url),
    ),
  ) as {
    documents: { name: string; text?: string; result: { ok: boolean } }[];
  };
  let edits = 0;
  for (const document of golden.documents) {
    // A \r is a line break in a file but not in CPython's read_string, and a
    // file may not hold NUL: such documents test strings, not files.
    if (
      !document.result.ok || document.text === undefined ||
      /[\r\0]/.test(document.text)
    ) continue;
    const text = document.text;
    const store = parseStore(text);
    const targets: [string, string][] = [["zz new", "k"], [
      DEFAULT_SECTION,
      "zz_fresh",
    ]];
    for (
      const [name, options] of [
        [DEFAULT_SECTION, store.defaults] as const,
        ...store.sections,
      ]
    ) {
      targets.push([name, "zz_fresh"]);
      for (const option of options.keys()) {
        // Names the format cannot write (e.g. with a delimiter) are refused, not mangled.
        if (/^[#;[]|[=:]|^\s|\s$/.test(option) || option === "") continue;
        targets.push([name, option]);
      }
    }
    for (const [section, option] of targets) {
      if (/[\r\n]/.test(section)) continue;
      const context = `${document.name}: ${section}:${option}`;
      const edited = setOption(text, section, option, "v1\nv2");
      assert.equal(
        read(edited).get(section, option, { raw: true }),
        "v1\nv2",
        context,
      );
      assertOnlyLinesChanged(
        text,
        edited,
        entryRange(text, section, option),
        context,
      );
      edits++;
    }
  }
  assert.ok(edits > 500, `only ${edits} edits`);
});

Deno.test("unsetOption removes one option's lines and keeps every other byte", () => {
  assert.equal(
    unsetOption(DOC, "aio", "LOG_LEVEL"),
    DOC.replace("log_level = INFO\n", ""),
  );
  // A multi-line value goes with its continuation lines and the comments among them.
  const text =
    "[aio]\nmodules =\n\tone.ts\n\n\t# inside\n\ttwo.ts\n\n# after\nx = 1\n";
  assert.equal(
    unsetOption(text, "aio", "modules"),
    "[aio]\n\n# after\nx = 1\n",
  );
  // The last option leaves its section header, as git config --unset does.
  assert.equal(unsetOption("[a]\nk = v\n[b]\n", "a", "k"), "[a]\n[b]\n");
  assert.equal(
    unsetOption(
      "[DEFAULT]\nroot = /srv\n[a]\nk = ${root}\n",
      "DEFAULT",
      "root",
    ),
    "[DEFAULT]\n[a]\nk = ${root}\n",
  );
});

Deno.test("unsetOption keeps line endings, the BOM and a missing final newline", () => {
  const crlf = "\ufeff[a]\r\nk: 1\r\nj = 2\r\n";
  assert.equal(unsetOption(crlf, "a", "k"), "\ufeff[a]\r\nj = 2\r\n");
  assert.equal(unsetOption("[a]\nj = 2\nk = 1", "a", "k"), "[a]\nj = 2");
  assert.equal(unsetOption("[a]\nk = 1\n  more", "a", "k"), "[a]");
});

Deno.test("unsetOption refuses what is not set there, naming the file", () => {
  const text = "[DEFAULT]\nroot = /\n[a]\nk = 1\n";
  for (
    const [section, option, message] of [
      ["b", "k", /^No section 'b' in app\.conf: nothing to unset$/],
      [
        "a",
        "Nope",
        /^No option 'nope' in section 'a' of app\.conf: nothing to unset$/,
      ],
      ["DEFAULT", "k", /^No option 'k' in section 'DEFAULT' of app\.conf/],
      [
        "a",
        "root",
        /^Option 'root' of section 'a' comes from \[DEFAULT\] in app\.conf: unset DEFAULT:root/,
      ],
    ] as const
  ) {
    assert.throws(
      () => unsetOption(text, section, option, { source: "app.conf" }),
      (error: unknown) =>
        error instanceof NotSetError && message.test(error.message),
      `${section}:${option}`,
    );
  }
  assert.throws(() => unsetOption(text, "a", "k=v"), EditError);
  assert.throws(
    () => unsetOption("[a]\nk = 1\noops\n", "a", "k", { source: "x.conf" }),
    (error: unknown) => error instanceof ConfigError && error.line === 3,
  );
});

/** Asserts that `after` is `before` without lines `from` to `to` (0-based, exclusive). */
function assertOnlyLinesRemoved(
  before: string,
  after: string,
  [from, to]: [number, number],
  context: string,
) {
  const a = splitRawLines(before);
  const b = splitRawLines(after);
  assert.equal(b.length, a.length - (to - from), context);
  const text = (lines: RawLine[]) => lines.map((line) => line.text);
  assert.deepEqual(text(b.slice(0, from)), text(a.slice(0, from)), context);
  assert.deepEqual(b.slice(from), a.slice(to), context);
}

/** Each section's own options and raw values (DEFAULT's too), as `text` reads. */
function values(text: string): Record<string, Record<string, string>> {
  const store = parseStore(text);
  const all: Record<string, Record<string, string>> = {};
  for (
    const [name, options] of [
      [DEFAULT_SECTION, store.defaults] as const,
      ...store.sections,
    ]
  ) {
    all[name] = Object.fromEntries(
      [...options].map(([option, entry]) => [option, entry.value]),
    );
  }
  return all;
}

Deno.test("unsetOption round-trips on generated documents and the CPython fixtures", async () => {
  const golden = JSON.parse(
    await Deno.readTextFile(
      new URL("../fixtures/configparser/golden.json", import.meta.url),
    ),
  ) as { documents: { text?: string; result: { ok: boolean } }[] };
  const documents = golden.documents.filter((document) =>
    document.result.ok && document.text !== undefined &&
    !/[\r\0]/.test(document.text)
  ).map((document) => document.text!);
  const next = random(7);
  for (let doc = 0; doc < 300; doc++) documents.push(generateDocument(next));
  let edits = 0;
  for (const text of documents) {
    let store;
    try {
      store = parseStore(text);
    } catch (error) {
      if (error instanceof ConfigError) continue;
      throw error;
    }
    for (
      const [section, options] of [
        [DEFAULT_SECTION, store.defaults] as const,
        ...store.sections,
      ]
    ) {
      if (/[\r\n]/.test(section)) continue;
      for (const option of options.keys()) {
        if (/^[#;[]|[=:]|^\s|\s$/.test(option) || option === "") continue;
        const context = `${section}:${option} in ${JSON.stringify(text)}`;
        const edited = unsetOption(text, section, option);
        const expected = values(text);
        delete expected[section][option];
        if (section === DEFAULT_SECTION) {
          for (const name of Object.keys(expected)) {
            delete expected[name][option];
          }
          // A section's own option of the same name is still there.
          for (const [name, own] of store.sections) {
            if (own.has(option)) {
              expected[name][option] = own.get(option)!.value;
            }
          }
        }
        const actual = values(edited);
        for (const name of Object.keys(actual)) {
          assert.deepEqual(
            Object.entries(actual[name]).sort(),
            Object.entries(expected[name]).sort(),
            context,
          );
        }
        assertOnlyLinesRemoved(
          text,
          edited,
          entryRange(text, section, option)!,
          context,
        );
        edits++;
      }
    }
  }
  assert.ok(edits > 1000, `only ${edits} edits`);
});
