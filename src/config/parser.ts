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
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d) || code >= 0x1c;
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

/** CPython's default `optionxform`: `str.lower()`. */
export function optionxform(name: string): string {
  return name.toLowerCase();
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

interface PendingEntry {
  lines: string[];
  source: ValueSource;
  endLine: number;
}

/**
 * Reads `text` into `store` as CPython's `read_string` would, so a later read
 * may reopen a section an earlier one declared (that is how layers work).
 * Throws a {@linkcode ConfigError} with CPython's error kind and line.
 */
export function readInto(store: ConfigStore, text: string, file: string): void {
  const added = new Set<string>();
  const pending = new Map<OptionMap, Map<string, PendingEntry>>();
  let current: OptionMap | undefined;
  let currentPending: Map<string, PendingEntry> | undefined;
  let sectionName = "";
  let optionName: string | undefined;
  let indentLevel = 0;
  let firstError: ConfigError | undefined;
  const pendingFor = (options: OptionMap) => {
    let map = pending.get(options);
    if (!map) pending.set(options, map = new Map());
    return map;
  };

  const lines = splitLines(text);
  try {
    readLines();
  } finally {
    for (const [options, entries] of pending) {
      for (const [name, entry] of entries) {
        options.set(name, {
          value: pyRstrip(entry.lines.join("\n")),
          source: entry.source,
          endLine: entry.endLine,
        });
      }
    }
  }
  if (firstError) throw firstError;

  function readLines(): void {
    for (let index = 0; index < lines.length; index++) {
      const lineNumber = index + 1;
      const line = lines[index];
      const comment = isCommentLine(line);
      const value = comment ? "" : pyStrip(line);
      if (!value) {
        if (!comment && optionName && currentPending) {
          const entry = currentPending.get(optionName);
          if (entry) entry.lines.push("");
        }
        continue;
      }
      const indent = indentOf(line);
      if (current && optionName && indent > indentLevel) {
        const entry = currentPending!.get(optionName);
        if (entry) {
          entry.lines.push(value);
          entry.endLine = lineNumber;
        }
        continue;
      }
      indentLevel = indent;
      const header = matchSectionHeader(value);
      if (header !== undefined) {
        sectionName = header;
        if (store.sections.has(header)) {
          if (added.has(header)) {
            throw new ConfigError(
              `Section '${header}' already exists`,
              { source: file, line: lineNumber, kind: "DuplicateSectionError" },
            );
          }
          current = store.sections.get(header)!;
          added.add(header);
        } else if (header === DEFAULT_SECTION) {
          current = store.defaults;
        } else {
          current = new Map();
          store.sections.set(header, current);
          store.sectionSources.set(header, { file, line: lineNumber });
          added.add(header);
        }
        currentPending = pendingFor(current);
        optionName = undefined;
        continue;
      }
      if (!current) {
        throw new ConfigError(
          `No section header before this line: ${JSON.stringify(line)}`,
          { source: file, line: lineNumber, kind: "MissingSectionHeaderError" },
        );
      }
      const option = matchOptionLine(value);
      if (!option) {
        firstError ??= parsingError(file, lineNumber, line);
        continue;
      }
      const section = current;
      if (!option.key) firstError ??= parsingError(file, lineNumber, line);
      optionName = optionxform(pyRstrip(option.key));
      const key = `${sectionName}\u0000${optionName}`;
      if (added.has(key)) {
        throw new ConfigError(
          `Option '${optionName}' in section '${sectionName}' already exists`,
          { source: file, line: lineNumber, kind: "DuplicateOptionError" },
        );
      }
      added.add(key);
      currentPending!.set(optionName, {
        lines: [pyStrip(option.value)],
        source: { file, line: lineNumber },
        endLine: lineNumber,
      });
      // Like a Python dict, a Map keeps an existing key where it was.
      section.set(optionName, placeholder);
    }
  }
}

const placeholder: Entry = {
  value: "",
  source: { file: "", line: 0 },
  endLine: 0,
};

function parsingError(file: string, line: number, text: string): ConfigError {
  return new ConfigError(
    `Cannot parse line, expected "[section]", "key = value" or "key: value": ${
      JSON.stringify(text)
    }`,
    { source: file, line, kind: "ParsingError" },
  );
}
