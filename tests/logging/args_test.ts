import assert from "node:assert/strict";
import {
  NotDataError,
  parseArgs,
  parseKwargs,
  StreamName,
} from "../../src/logging/_args.ts";

Deno.test("args: tuples of strings, numbers, constants and the standard streams", () => {
  assert.deepEqual(parseArgs("(sys.stdout,)"), [new StreamName("stdout")]);
  assert.deepEqual(parseArgs("( sys . stderr , )"), [new StreamName("stderr")]);
  assert.deepEqual(parseArgs('("var/app.log", "w")'), ["var/app.log", "w"]);
  assert.deepEqual(
    parseArgs("('a', 1, -2.5, 0x10, 1_000, True, False, None)"),
    [
      "a",
      1,
      -2.5,
      16,
      1000,
      true,
      false,
      null,
    ],
  );
  assert.deepEqual(parseArgs("()"), []);
  assert.deepEqual(parseArgs(""), []);
  assert.deepEqual(parseArgs("'a.log', 'w'"), ["a.log", "w"]);
  assert.deepEqual(parseArgs("[1, (2,), []]"), [[1, [2], []]]);
});

Deno.test("args: a lone value in parentheses is taken as a one-item tuple", () => {
  assert.deepEqual(parseArgs('("app.log")'), ["app.log"]);
  assert.deepEqual(parseArgs("sys.stderr"), [new StreamName("stderr")]);
});

Deno.test("args: Python string literals", () => {
  assert.deepEqual(
    parseArgs(String.raw`('a\'b', "c\"d", 'e\n\x41\u00e9\101')`),
    [
      "a'b",
      'c"d',
      "e\nAé" + "A",
    ],
  );
  assert.deepEqual(parseArgs(String.raw`(r'C:\logs\a.log',)`), [
    String.raw`C:\logs\a.log`,
  ]);
  assert.deepEqual(parseArgs(`("var/" 'log/' "a.log",)`), ["var/log/a.log"]);
  assert.deepEqual(parseArgs(`('''x'y''',)`), ["x'y"]);
  assert.deepEqual(parseArgs(String.raw`('\d',)`), [String.raw`\d`]);
});

Deno.test("kwargs: a dict of data", () => {
  assert.deepEqual(
    parseKwargs("{'filename': 'a.log', \"mode\": 'w', 'delay': True,}"),
    new Map<string, string | boolean>([
      ["filename", "a.log"],
      ["mode", "w"],
      ["delay", true],
    ]),
  );
  assert.deepEqual(parseKwargs(""), new Map());
  assert.throws(() => parseKwargs("('a',)"), NotDataError);
});

Deno.test("args: code is refused, never run", () => {
  const cases: [string, RegExp][] = [
    [
      "(__import__('os').system('x'),)",
      /^__import__ at column 2 is not allowed$/,
    ],
    ["(open('x'),)", /^open at column 2 is not allowed$/],
    [
      "(sys.stdout.write('x'),)",
      /^sys\.stdout\.write at column 2 is not allowed$/,
    ],
    ["(sys.stdin,)", /^sys\.stdin at column 2 is not allowed$/],
    ["(True(),)", /^True at column 2 is not allowed$/],
    ["(1 + 2,)", /^unexpected "\+" at column 4$/],
    ["('a' * 3,)", /^unexpected "\*" at column 6$/],
    ["(lambda: 1,)", /^lambda at column 2 is not allowed$/],
    ["(f'{x}',)", /^f at column 2 is not allowed$/],
    ["(b'x',)", /^b at column 2 is not allowed$/],
    ["('unterminated,)", /^unterminated string at column 2$/],
    ["('a',", /^unexpected end of text$/],
    ["{'a': 1}[0]", /^unexpected "\[" at column 9$/],
    ["({[1]: 2},)", /^a dict key must be a string or a number, not a tuple$/],
    // Escapes read as Python reads them, bad ones refused with where.
    ["('\\U00110000',)", /^\\U00110000 is beyond U\+10FFFF at column 3$/],
    ["('\\x4',)", /^truncated \\xXX escape at column 3$/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseArgs(text), (error) => {
      assert.ok(error instanceof NotDataError, text);
      assert.match(error.message, message, text);
      return true;
    });
  }
});
