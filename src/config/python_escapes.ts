/**
 * Python's `unicode_escape` decoding, for `aio config -s VALUE`: the
 * original aio.app ran VALUE through `codecs.decode(value, "unicode_escape")`.
 *
 * @module
 */

/** A backslash escape that Python's `unicode_escape` codec refuses. */
export class EscapeError extends Error {
  /** The 0-based index of the backslash that starts the bad escape. */
  readonly position: number;
  /** Creates the error; `message` is one line. */
  constructor(message: string, position: number) {
    super(message);
    this.name = "EscapeError";
    this.position = position;
  }
}

const SIMPLE: Record<string, string> = {
  "\\": "\\",
  "'": "'",
  '"': '"',
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  // A backslash before a line break joins the lines, as in a Python literal.
  "\n": "",
};

const HEX_DIGITS: Record<string, number> = { x: 2, u: 4, U: 8 };
const HEX = /^[0-9a-fA-F]+$/;

/**
 * Decodes backslash escapes as CPython's
 * `codecs.decode(text, "unicode_escape")` does for ASCII text: `\n`, `\t`,
 * `\r`, `\\`, `\'`, `\"`, `\a`, `\b`, `\f`, `\v`, octal `\0`-`\777`,
 * `\xNN`, `\uNNNN`, `\UNNNNNNNN`, and a backslash before a line break
 * dropping both. An escape Python does not know (`\d`, `\8`) stays as
 * written, as Python keeps it.
 *
 * Where this differs from Python, on purpose: characters beyond ASCII are
 * kept as they are (Python would re-read their UTF-8 bytes as Latin-1),
 * `\N{NAME}` is refused (it needs Unicode's name table), and so is an
 * escape that makes a lone surrogate (UTF-8 cannot store one).
 *
 * Throws {@linkcode EscapeError} where Python raises: a truncated `\x`,
 * `\u` or `\U`, a code point beyond U+10FFFF, a lone `\` at the end.
 *
 * @param text The text with escapes, as typed on the command line.
 * @returns The decoded text.
 *
 * @example
 * ```ts
 * import { decodePythonEscapes } from "./python_escapes.ts";
 * console.log(decodePythonEscapes(String.raw`a\tb\x41\u00e9\\n`)); // "a\tbAé\\n"
 * ```
 */
export function decodePythonEscapes(text: string): string {
  if (!text.includes("\\")) return text;
  let result = "";
  let index = 0;
  while (index < text.length) {
    const backslash = text.indexOf("\\", index);
    if (backslash < 0) {
      result += text.slice(index);
      break;
    }
    result += text.slice(index, backslash);
    if (backslash + 1 === text.length) {
      throw new EscapeError(
        'a lone "\\" ends the value: write "\\\\" for a backslash',
        backslash,
      );
    }
    const escape = readEscape(text, backslash);
    result += escape.value;
    index = escape.end;
  }
  return result;
}

/**
 * Reads the one escape that starts at `text[backslash]` (a backslash with a
 * character after it), as a Python string literal reads it: its value and
 * where the text goes on. An escape Python does not know keeps its
 * backslash. Throws {@linkcode EscapeError} where Python raises.
 *
 * @example
 * ```ts
 * import { readEscape } from "./python_escapes.ts";
 * console.log(readEscape(String.raw`a\x41b`, 1)); // { value: "A", end: 5 }
 * ```
 */
export function readEscape(
  text: string,
  backslash: number,
): { value: string; end: number } {
  const next = text[backslash + 1];
  if (next in SIMPLE) return { value: SIMPLE[next], end: backslash + 2 };
  if (next >= "0" && next <= "7") {
    let end = backslash + 2;
    while (end < backslash + 4 && /[0-7]/.test(text[end] ?? "")) end++;
    const code = parseInt(text.slice(backslash + 1, end), 8);
    return { value: String.fromCharCode(code), end };
  }
  if (next in HEX_DIGITS) {
    const digits = HEX_DIGITS[next];
    const end = backslash + 2 + digits;
    const hex = text.slice(backslash + 2, end);
    if (hex.length < digits || !HEX.test(hex)) {
      throw new EscapeError(
        `truncated \\${next}${"X".repeat(digits)} escape`,
        backslash,
      );
    }
    const code = parseInt(hex, 16);
    const written = text.slice(backslash, end);
    if (code > 0x10ffff) {
      throw new EscapeError(`${written} is beyond U+10FFFF`, backslash);
    }
    if (code >= 0xd800 && code <= 0xdfff) {
      throw new EscapeError(
        `${written} is a lone surrogate, which UTF-8 cannot store: write the character as \\UXXXXXXXX`,
        backslash,
      );
    }
    return { value: String.fromCodePoint(code), end };
  }
  if (next === "N") {
    throw new EscapeError(
      "\\N{NAME} escapes are not supported: write the character itself or \\uXXXX",
      backslash,
    );
  }
  // Unknown to Python: the backslash stays, the next character is read as usual.
  return { value: "\\", end: backslash + 1 };
}
