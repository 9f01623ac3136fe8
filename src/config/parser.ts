/**
 * A line-for-line port of CPython 3.11's `RawConfigParser._read` with the
 * default dialect (`=`/`:` delimiters, `#`/`;` full-line comments, no inline
 * comments, strict, empty lines kept in values, `DEFAULT` section).
 *
 * @module
 */

import { ConfigError, type ValueSource } from "./errors.ts";

/** One option as read: its raw value and where it came from. */
export interface Entry {
  /** The raw value: continuation lines joined with `\n`, trailing blanks dropped. */
  value: string;
  /** The file and first line of the option. */
  source: ValueSource;
  /** The last line that held part of the value (for layout-preserving edits). */
  endLine: number;
}

/** A section's options in file order, keyed by the lowercased option name. */
export type OptionMap = Map<string, Entry>;

/** Everything read so far: DEFAULT's options and the other sections in order. */
export interface ConfigStore {
  /** The DEFAULT section's options. */
  defaults: OptionMap;
  /** The other sections, in the order they first appeared. */
  sections: Map<string, OptionMap>;
  /** Where each section was first declared. */
  sectionSources: Map<string, ValueSource>;
}

/** The name of the section whose options feed every other section. */
export const DEFAULT_SECTION = "DEFAULT";

/**
 * Python's `str.isspace()` (also what `\s` and `str.strip()` use), which
 * differs from JavaScript's `\s`: no U+FEFF, and U+001C-U+001F and U+0085
 * are spaces.
 */
export function isPySpace(code: number): boolean {
  if (code <= 0x20) {
    return code === 0x20 || (code >= 0x09 && code <= 0x0d) || code >= 0x1c;
  }
  if (code < 0x85) return false;
  return code === 0x85 || code === 0xa0 || code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) || code === 0x2028 ||
    code === 0x2029 || code === 0x202f || code === 0x205f || code === 0x3000;
}

/** The index of the first character of `text` that is not a Python space, or its length. */
function firstNonSpace(text: string, from = 0): number {
  let index = from;
  while (index < text.length && isPySpace(text.charCodeAt(index))) index++;
  return index;
}

/** One past the last character of `text` that is not a Python space (0 when all are). */
function endOfNonSpace(text: string, to = text.length): number {
  let index = to;
  while (index > 0 && isPySpace(text.charCodeAt(index - 1))) index--;
  return index;
}

/** Python's `str.strip()`. */
export function pyStrip(text: string): string {
  const start = firstNonSpace(text);
  if (start === text.length) return "";
  const end = endOfNonSpace(text);
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/** Python's `str.rstrip()`. */
export function pyRstrip(text: string): string {
  const end = endOfNonSpace(text);
  return end === text.length ? text : text.slice(0, end);
}

/**
 * Capital letters added in Unicode 16, after CPython 3.11's Unicode 14:
 * Python leaves them as they are, so aio must too.
 */
const NEWER_CAPITALS = /[\u1c89\ua7cb\ua7cc\ua7da\ua7dc\u{10d50}-\u{10d65}]/u;
const OLDER_RUNS = /[^\u1c89\ua7cb\ua7cc\ua7da\ua7dc\u{10d50}-\u{10d65}]+/gu;

/** CPython 3.11's default `optionxform`: `str.lower()`, with its Unicode 14 tables. */
export function optionxform(name: string): string {
  const lower = name.toLowerCase();
  if (lower === name || !NEWER_CAPITALS.test(name)) return lower;
  return name.replace(OLDER_RUNS, (run) => run.toLowerCase());
}

/** Makes an empty store. */
export function createStore(): ConfigStore {
  return {
    defaults: new Map(),
    sections: new Map(),
    sectionSources: new Map(),
  };
}

/**
 * Splits text into lines the way `io.StringIO` iterates them: on `\n` only,
 * so a `\r` stays in the line (and is stripped with the whitespace).
 */
export function splitLines(text: string): string[] {
  const lines = text.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** What a line is, by CPython's rules; shared by the parser and the editor. */
export function isCommentLine(line: string): boolean {
  const code = line.charCodeAt(firstNonSpace(line));
  return code === HASH || code === SEMICOLON;
}

/** The column of the first non-whitespace character, or 0 for a blank line. */
export function indentOf(line: string): number {
  const index = firstNonSpace(line);
  return index === line.length ? 0 : index;
}

/**
 * Matches a section header line (already stripped); returns its name.
 * CPython's `\[(?P<header>.+)\]` takes everything up to the last `]`.
 */
export function matchSectionHeader(stripped: string): string | undefined {
  if (stripped.charCodeAt(0) !== OPEN_BRACKET) return undefined;
  const close = stripped.lastIndexOf("]");
  return close >= 2 ? stripped.slice(1, close) : undefined;
}

/**
 * Matches an option line (already stripped); returns its raw key and value.
 * CPython's lazy `(?P<option>.*?)\s*(?P<vi>=|:)\s*(?P<value>.*)$` splits at
 * the first `=` or `:`, whichever comes first.
 */
export function matchOptionLine(
  stripped: string,
): { key: string; value: string } | undefined {
  const at = delimiterAt(stripped);
  if (at < 0) return undefined;
  return {
    key: stripped.slice(0, endOfNonSpace(stripped, at)),
    value: stripped.slice(firstNonSpace(stripped, at + 1)),
  };
}

const HASH = 0x23;
const SEMICOLON = 0x3b;
const OPEN_BRACKET = 0x5b;
const EQUALS = 0x3d;
const COLON = 0x3a;

function delimiterAt(text: string): number {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === EQUALS || code === COLON) return index;
  }
  return -1;
}

/**
 * Reads `text` into `store` as CPython's `read_string` would, so a later read
 * may reopen a section an earlier one declared (that is how layers work).
 * Throws a {@linkcode ConfigError} with CPython's error kind and line.
 *
 * One pass, a constant amount of work per character: no regex, so a large
 * document costs time linear in its size.
 */
export function readInto(store: ConfigStore, text: string, file: string): void {
  // CPython's `elements_added`, split so a section name can never collide
  // with a (section, option) pair.
  const addedSections = new Set<string>();
  const addedOptions = new Map<string, Set<string>>();
  let current: OptionMap | undefined;
  let currentAdded: Set<string> | undefined;
  let sectionName = "";
  // The option that continuation lines extend (CPython's truthy `optname`)
  // and, once it has more than one, its lines. Only this option can still
  // grow, so its value is joined as soon as another takes its place: the
  // same result as CPython's `_join_multiline_values` at the end.
  let option: Entry | undefined;
  let optionLines: string[] | undefined;
  const finishOption = () => {
    if (option && optionLines) option.value = pyRstrip(optionLines.join("\n"));
    option = optionLines = undefined;
  };
  let indentLevel = 0;
  let firstError: ConfigError | undefined;

  // Lines as `io.StringIO` yields them (see splitLines), without building
  // an array of them.
  let position = 0;
  let lineNumber = 0;
  try {
    while (position < text.length) {
      let end = text.indexOf("\n", position);
      if (end < 0) end = text.length;
      const line = text.slice(position, end);
      position = end + 1;
      lineNumber++;
      const start = firstNonSpace(line);
      if (start === line.length) {
        // Blank: kept inside a value (joined with newlines, trailing ones
        // dropped at the end).
        if (option) (optionLines ??= [option.value]).push("");
        continue;
      }
      const first = line.charCodeAt(start);
      if (first === HASH || first === SEMICOLON) continue;
      const value = line.slice(start, endOfNonSpace(line));
      if (option && start > indentLevel) {
        (optionLines ??= [option.value]).push(value);
        option.endLine = lineNumber;
        continue;
      }
      indentLevel = start;
      const header = matchSectionHeader(value);
      if (header !== undefined) {
        sectionName = header;
        const existing = store.sections.get(header);
        if (existing) {
          if (addedSections.has(header)) {
            throw new ConfigError(`Section '${header}' already exists`, {
              source: file,
              line: lineNumber,
              kind: "DuplicateSectionError",
            });
          }
          current = existing;
          addedSections.add(header);
        } else if (header === DEFAULT_SECTION) {
          current = store.defaults;
        } else {
          current = new Map();
          store.sections.set(header, current);
          store.sectionSources.set(header, { file, line: lineNumber });
          addedSections.add(header);
        }
        currentAdded = addedOptions.get(header);
        if (!currentAdded) addedOptions.set(header, currentAdded = new Set());
        finishOption();
        continue;
      }
      if (!current) {
        throw new ConfigError(
          `No section header before this line: ${JSON.stringify(line)}`,
          { source: file, line: lineNumber, kind: "MissingSectionHeaderError" },
        );
      }
      const at = delimiterAt(value);
      if (at < 0) {
        firstError ??= parsingError(file, lineNumber, line);
        continue;
      }
      const keyEnd = endOfNonSpace(value, at);
      if (keyEnd === 0) firstError ??= parsingError(file, lineNumber, line);
      const name = optionxform(value.slice(0, keyEnd));
      if (currentAdded!.has(name)) {
        throw new ConfigError(
          `Option '${name}' in section '${sectionName}' already exists`,
          { source: file, line: lineNumber, kind: "DuplicateOptionError" },
        );
      }
      currentAdded!.add(name);
      const entry: Entry = {
        value: value.slice(firstNonSpace(value, at + 1)),
        source: { file, line: lineNumber },
        endLine: lineNumber,
      };
      // Like a Python dict, a Map keeps an existing key where it was.
      current.set(name, entry);
      finishOption();
      // An empty key is an error but still stored; it takes no continuations.
      if (name) option = entry;
    }
  } finally {
    finishOption();
  }
  if (firstError) throw firstError;
}

function parsingError(file: string, line: number, text: string): ConfigError {
  return new ConfigError(
    `Cannot parse line, expected "[section]", "key = value" or "key: value": ${
      JSON.stringify(text)
    }`,
    { source: file, line, kind: "ParsingError" },
  );
}
