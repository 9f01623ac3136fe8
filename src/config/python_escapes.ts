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
    const next = text[backslash + 1];
    if (next === undefined) {
      throw new EscapeError(
        'a lone "\\" ends the value: write "\\\\" for a backslash',
        backslash,
      );
    }
    if (next in SIMPLE) {
      result += SIMPLE[next];
      index = backslash + 2;
    } else if (next >= "0" && next <= "7") {
      let end = backslash + 2;
      while (end < backslash + 4 && /[0-7]/.test(text[end] ?? "")) end++;
      result += String.fromCharCode(
        parseInt(text.slice(backslash + 1, end), 8),
      );
      index = end;
    } else if (next in HEX_DIGITS) {
      const digits = HEX_DIGITS[next];
      const hex = text.slice(backslash + 2, backslash + 2 + digits);
      const shown = `\\${next}${"X".repeat(digits)}`;
      if (hex.length < digits || !HEX.test(hex)) {
        throw new EscapeError(`truncated ${shown} escape`, backslash);
      }
      const code = parseInt(hex, 16);
      if (code > 0x10ffff) {
        throw new EscapeError(
          `${text.slice(backslash, backslash + 2 + digits)} is beyond U+10FFFF`,
          backslash,
        );
      }
      if (code >= 0xd800 && code <= 0xdfff) {
        throw new EscapeError(
          `${
            text.slice(backslash, backslash + 2 + digits)
          } is a lone surrogate, which UTF-8 cannot store: write the character as \\UXXXXXXXX`,
          backslash,
        );
      }
      result += String.fromCodePoint(code);
      index = backslash + 2 + digits;
    } else if (next === "N") {
      throw new EscapeError(
        "\\N{NAME} escapes are not supported: write the character itself or \\uXXXX",
        backslash,
      );
    } else {
      // Unknown to Python: the backslash stays, the next character is read as usual.
      result += "\\";
      index = backslash + 1;
    }
  }
  return result;
}
