/**
 * `decodePythonEscapes` against CPython's `codecs.decode(s, "unicode_escape")`:
 * a fixed table (checked against CPython 3.11 when it was written), then
 * random ASCII strings dense with escapes judged by python3 itself.
 */

import assert from "node:assert/strict";
import {
  decodePythonEscapes,
  EscapeError,
} from "../../src/config/python_escapes.ts";
import { prng } from "../fuzz/_config_fuzz.ts";

const DECODED: [string, string][] = [
  ["plain", "plain"],
  [String.raw`a\nb`, "a\nb"],
  [String.raw`\t\r\a\b\f\v`, "\t\r\x07\b\f\v"],
  [String.raw`\\n`, "\\n"],
  [String.raw`\'\"`, `'"`],
  [String.raw`\x41\x7e\xFF`, "A~\xff"],
  [String.raw`\u00e9\u20AC`, "é€"],
  [String.raw`\U0001F600`, "😀"],
  [String.raw`\0`, "\0"],
  [String.raw`\101\1234`, "AS4"],
  [String.raw`\777`, "\u01ff"],
  [String.raw`\d\8\q\ `, String.raw`\d\8\q\ `],
  ["joined\\\nline", "joinedline"],
  [String.raw`C:\\temp`, String.raw`C:\temp`],
  // Beyond ASCII, characters stay as they are (Python would mangle them).
  ["é\\n€", "é\n€"],
  ["\\é", "\\é"],
];

const REFUSED: [string, RegExp, number][] = [
  ["\\", /lone "\\" ends the value/, 0],
  [String.raw`ab\x4`, /truncated \\xXX escape/, 2],
  [String.raw`\xg0`, /truncated \\xXX escape/, 0],
  [String.raw`\u12`, /truncated \\uXXXX escape/, 0],
  [String.raw`x\U0011000`, /truncated \\UXXXXXXXX escape/, 1],
  [String.raw`\U00110000`, /\\U00110000 is beyond U\+10FFFF/, 0],
  [String.raw`\ud800`, /lone surrogate/, 0],
  [
    String.raw`\N{LATIN SMALL LETTER A}`,
    /\\N\{NAME\} escapes are not supported/,
    0,
  ],
];

Deno.test("decodePythonEscapes decodes what Python decodes", () => {
  for (const [input, expected] of DECODED) {
    assert.equal(decodePythonEscapes(input), expected, JSON.stringify(input));
  }
});

Deno.test("decodePythonEscapes refuses what Python refuses, naming the position", () => {
  for (const [input, message, position] of REFUSED) {
    assert.throws(
      () => decodePythonEscapes(input),
      (error: unknown) =>
        error instanceof EscapeError && message.test(error.message) &&
        error.position === position && !error.message.includes("\n"),
      JSON.stringify(input),
    );
  }
});

/** Random ASCII text where backslashes, digits and escape letters are common. */
function randomInputs(seed: number, count: number): string[] {
  const random = prng(seed);
  const alphabet = [
    ..."\\\\\\\\xuUabfnrtv01234567'\"89AaFfgz {}\n",
  ];
  const inputs: string[] = [];
  for (let i = 0; i < count; i++) {
    let text = "";
    const length = Math.floor(random() * 14);
    for (let j = 0; j < length; j++) {
      text += alphabet[Math.floor(random() * alphabet.length)];
    }
    inputs.push(text);
  }
  return inputs;
}

const ORACLE = `
import codecs, json, sys, warnings
warnings.simplefilter("ignore")
out = []
for s in json.load(sys.stdin):
    try:
        out.append({"ok": codecs.decode(s, "unicode_escape")})
    except UnicodeDecodeError as e:
        out.append({"error": e.start})
json.dump(out, sys.stdout, ensure_ascii=True)
`;

Deno.test("decodePythonEscapes matches python3 on random escape-dense ASCII", async () => {
  const seed = crypto.getRandomValues(new Uint32Array(1))[0];
  const inputs = randomInputs(seed, 3000);
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("python3", {
      args: ["-c", ORACLE],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    console.warn("python3 not found: the fixed table above is the check");
    return;
  }
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(inputs)));
  await writer.close();
  const { success, stdout, stderr } = await child.output();
  assert.ok(success, new TextDecoder().decode(stderr));
  const expected: ({ ok: string } | { error: number })[] = JSON.parse(
    new TextDecoder().decode(stdout),
  );
  const differences: string[] = [];
  inputs.forEach((input, index) => {
    let actual: { ok: string } | { error: number };
    try {
      actual = { ok: decodePythonEscapes(input) };
    } catch (error) {
      if (!(error instanceof EscapeError)) throw error;
      actual = { error: error.position };
    }
    const want = expected[index];
    // A lone surrogate is text Python holds but UTF-8 cannot: we refuse it.
    const surrogate = "ok" in want && /[\ud800-\udfff]/.test(want.ok);
    if (surrogate && "error" in actual) return;
    if (JSON.stringify(actual) !== JSON.stringify(want)) {
      differences.push(
        `${JSON.stringify(input)}: python ${JSON.stringify(want)}, aio ${
          JSON.stringify(actual)
        }`,
      );
    }
  });
  assert.deepEqual(differences.slice(0, 5), [], `seed ${seed}`);
});
