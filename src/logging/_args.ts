/**
 * A reader for the Python literals that `fileConfig` puts in a handler's
 * `args` and `kwargs`. It reads data only: strings, numbers, `True`,
 * `False`, `None`, tuples, lists, dicts and the two names `sys.stdout` and
 * `sys.stderr`. Nothing is ever evaluated, so a name or a call is an error.
 *
 * @module
 */

import { EscapeError, readEscape } from "../config/python_escapes.ts";

/** One of the two standard streams named in `args`. */
export class StreamName {
  /** Which stream: `stdout` or `stderr`. */
  readonly name: "stdout" | "stderr";
  /** Wraps the stream's name. */
  constructor(name: "stdout" | "stderr") {
    this.name = name;
  }
  /** `sys.stdout` or `sys.stderr`, as written. */
  toString(): string {
    return `sys.${this.name}`;
  }
}

/** A value read from `args` or `kwargs`. */
export type PyValue =
  | string
  | number
  | boolean
  | null
  | StreamName
  | PyValue[]
  | PyDict;

/** A Python dict literal, its keys strings or numbers as written. */
export type PyDict = Map<string | number | boolean | null, PyValue>;

/** Thrown for text that is not a data literal; the message says what and where. */
export class NotDataError extends Error {
  /** Creates the error; `message` is one line. */
  constructor(message: string) {
    super(message);
    this.name = "NotDataError";
  }
}

const NAMES: Record<string, PyValue> = {
  True: true,
  False: false,
  None: null,
  "sys.stdout": new StreamName("stdout"),
  "sys.stderr": new StreamName("stderr"),
};

/**
 * Reads `text` as `eval` would read a tuple: `("app.log", "a")`, `(sys.stderr,)`,
 * `()` or `"app.log", "w"` give their items; a lone value, `("app.log")`,
 * gives a one-item list, which is what the writer meant.
 *
 * @example
 * ```ts
 * parseArgs('("var/app.log", "w")'); // ["var/app.log", "w"]
 * parseArgs("(sys.stdout,)"); // [StreamName("stdout")]
 * ```
 * @throws {NotDataError} for anything but data
 */
export function parseArgs(text: string): PyValue[] {
  const reader = new Reader(text);
  reader.skipSpace();
  if (reader.atEnd()) return [];
  const { value, tuple } = reader.readTopLevel();
  if (tuple) return value as PyValue[];
  return [value];
}

/**
 * Reads `text` as a dict literal (a handler's `kwargs`); empty text is an
 * empty dict.
 *
 * @throws {NotDataError} for anything but a dict of data
 */
export function parseKwargs(text: string): PyDict {
  const reader = new Reader(text);
  reader.skipSpace();
  if (reader.atEnd()) return new Map();
  const { value } = reader.readTopLevel();
  if (!(value instanceof Map)) {
    throw new NotDataError("expected a dict like {'mode': 'w'}");
  }
  return value;
}

class Reader {
  #text: string;
  #pos = 0;
  // Which parenthesised groups turned out to be tuples, by value identity.
  #tuples = new WeakSet<PyValue[]>();

  constructor(text: string) {
    this.#text = text;
  }

  atEnd(): boolean {
    return this.#pos >= this.#text.length;
  }

  skipSpace(): void {
    while (!this.atEnd() && /\s/.test(this.#text[this.#pos])) this.#pos++;
  }

  readTopLevel(): { value: PyValue; tuple: boolean } {
    const first = this.#readValue();
    this.skipSpace();
    if (this.atEnd()) {
      const tuple = Array.isArray(first) && this.#tuples.has(first);
      return { value: first, tuple };
    }
    // A bare `a, b` is a tuple too.
    const items = [first];
    while (this.#take(",")) {
      this.skipSpace();
      if (this.atEnd()) break;
      items.push(this.#readValue());
      this.skipSpace();
    }
    if (!this.atEnd()) throw this.#unexpected();
    return { value: items, tuple: true };
  }

  #readValue(): PyValue {
    this.skipSpace();
    if (this.atEnd()) throw new NotDataError("unexpected end of text");
    const char = this.#text[this.#pos];
    if (char === "(") return this.#readGroup();
    if (char === "[") return this.#readSequence("[", "]");
    if (char === "{") return this.#readDict();
    if (char === "'" || char === '"' || this.#atStringPrefix()) {
      return this.#readStrings();
    }
    if (/[0-9.+-]/.test(char)) return this.#readNumber();
    if (/[A-Za-z_]/.test(char)) return this.#readName();
    throw this.#unexpected();
  }

  #readGroup(): PyValue {
    this.#pos++;
    this.skipSpace();
    if (this.#take(")")) return this.#markTuple([]);
    const first = this.#readValue();
    this.skipSpace();
    if (this.#take(")")) return first;
    const items = [first];
    while (this.#take(",")) {
      this.skipSpace();
      if (this.#take(")")) return this.#markTuple(items);
      items.push(this.#readValue());
      this.skipSpace();
    }
    if (this.#take(")")) return this.#markTuple(items);
    throw this.#unexpected();
  }

  #markTuple(items: PyValue[]): PyValue[] {
    this.#tuples.add(items);
    return items;
  }

  #readSequence(open: string, close: string): PyValue[] {
    this.#pos += open.length;
    const items: PyValue[] = [];
    for (;;) {
      this.skipSpace();
      if (this.#take(close)) return items;
      items.push(this.#readValue());
      this.skipSpace();
      if (this.#take(close)) return items;
      if (!this.#take(",")) throw this.#unexpected();
    }
  }

  #readDict(): PyDict {
    this.#pos++;
    const dict: PyDict = new Map();
    for (;;) {
      this.skipSpace();
      if (this.#take("}")) return dict;
      const key = this.#readValue();
      if (typeof key === "object" && key !== null) {
        throw new NotDataError(
          `a dict key must be a string or a number, not ${describe(key)}`,
        );
      }
      this.skipSpace();
      if (!this.#take(":")) throw this.#unexpected();
      dict.set(key, this.#readValue());
      this.skipSpace();
      if (this.#take("}")) return dict;
      if (!this.#take(",")) throw this.#unexpected();
    }
  }

  // Adjacent literals join, as in Python: "var/" "app.log".
  #readStrings(): string {
    let text = this.#readString();
    for (;;) {
      const save = this.#pos;
      this.skipSpace();
      const next = this.#text[this.#pos];
      if (next === "'" || next === '"' || this.#atStringPrefix()) {
        text += this.#readString();
      } else {
        this.#pos = save;
        return text;
      }
    }
  }

  #atStringPrefix(): boolean {
    return /^[rRuU]['"]/.test(this.#text.slice(this.#pos, this.#pos + 2));
  }

  #readString(): string {
    let raw = false;
    const prefix = this.#text[this.#pos];
    if (/[rRuU]/.test(prefix)) {
      raw = prefix === "r" || prefix === "R";
      this.#pos++;
    }
    const quote = this.#text[this.#pos];
    const triple = this.#text.startsWith(quote.repeat(3), this.#pos);
    const end = triple ? quote.repeat(3) : quote;
    const start = this.#pos;
    this.#pos += end.length;
    let value = "";
    for (;;) {
      if (this.atEnd()) {
        throw new NotDataError(`unterminated string at column ${start + 1}`);
      }
      if (this.#text.startsWith(end, this.#pos)) {
        this.#pos += end.length;
        return value;
      }
      const char = this.#text[this.#pos];
      if (char === "\n" && !triple) {
        throw new NotDataError(`unterminated string at column ${start + 1}`);
      }
      if (char === "\\") {
        value += raw ? this.#rawEscape() : this.#escape();
        continue;
      }
      value += char;
      this.#pos++;
    }
  }

  #rawEscape(): string {
    // A raw string keeps the backslash, yet a quote after it does not end the string.
    const pair = this.#text.slice(this.#pos, this.#pos + 2);
    this.#pos += pair.length;
    return pair;
  }

  #escape(): string {
    if (this.#pos + 1 >= this.#text.length) {
      throw new NotDataError("unterminated string");
    }
    try {
      const { value, end } = readEscape(this.#text, this.#pos);
      this.#pos = end;
      return value;
    } catch (error) {
      if (!(error instanceof EscapeError)) throw error;
      throw new NotDataError(`${error.message} at column ${this.#pos + 1}`);
    }
  }

  #readNumber(): number {
    const match =
      /^[+-]?(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?|\d[\d_]*\.)/
        .exec(this.#text.slice(this.#pos));
    if (!match) throw this.#unexpected();
    this.#pos += match[0].length;
    const text = match[0].replaceAll("_", "");
    const sign = text.startsWith("-") ? -1 : 1;
    const body = text.replace(/^[+-]/, "");
    if (/^0[xXoObB]/.test(body)) return sign * Number(body.toLowerCase());
    return sign * Number(body);
  }

  #readName(): PyValue {
    const match = /^[A-Za-z_][A-Za-z_0-9]*(?:\s*\.\s*[A-Za-z_][A-Za-z_0-9]*)*/
      .exec(this.#text.slice(this.#pos));
    const name = match![0].replace(/\s+/g, "");
    const start = this.#pos;
    this.#pos += match![0].length;
    if (Object.hasOwn(NAMES, name)) {
      this.skipSpace();
      if (this.#text[this.#pos] !== "(") return NAMES[name];
    }
    throw new NotDataError(
      `${name} at column ${start + 1} is not allowed`,
    );
  }

  #take(token: string): boolean {
    if (!this.#text.startsWith(token, this.#pos)) return false;
    this.#pos += token.length;
    return true;
  }

  #unexpected(): NotDataError {
    if (this.atEnd()) return new NotDataError("unexpected end of text");
    return new NotDataError(
      `unexpected ${JSON.stringify(this.#text[this.#pos])} at column ${
        this.#pos + 1
      }`,
    );
  }
}

/** A short description of a value for error messages. */
export function describe(value: PyValue): string {
  if (value instanceof StreamName) return value.toString();
  if (value instanceof Map) return "a dict";
  if (Array.isArray(value)) return "a tuple";
  if (value === null) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  return JSON.stringify(value);
}
