/**
 * Layout-preserving edits of a config document: setting or removing one
 * option changes that option's lines and nothing else, so comments, blank
 * lines, key spelling, delimiters and line endings survive `aio config -s`
 * and `aio config --unset`.
 *
 * The editor classifies lines with the parser's own helpers and its entry
 * line ranges, then re-parses its result and refuses any edit that would not
 * read back exactly as intended.
 *
 * @module
 */

import { invalidInterpolationAt } from "./interpolation.ts";
import {
  type ConfigStore,
  createStore,
  DEFAULT_SECTION,
  type Entry,
  indentOf,
  isCommentLine,
  matchOptionLine,
  matchSectionHeader,
  type OptionMap,
  optionxform,
  pyStrip,
  readInto,
} from "./parser.ts";

/** A value, option or section name that the config format cannot hold as given. */
export class EditError extends Error {
  /** Creates an edit error; `message` is one line. */
  constructor(message: string) {
    super(message);
    this.name = "EditError";
  }
}

/** Options for {@linkcode setOption}. */
export interface SetOptionOptions {
  /** The name parse errors report as their file (default `<string>`). */
  source?: string;
}

/** One line of a document as written: its text and its terminator (`""` for a last line without one). */
export interface RawLine {
  /** The line without its terminator. */
  text: string;
  /** `"\n"`, `"\r\n"`, `"\r"` or `""`. */
  eol: string;
}

const DEFAULT_CONTINUATION = "    ";
const LINE_BREAK = /\r\n|\r|\n/g;

/**
 * Splits `text` into lines as Python's universal newlines do (`\n`, `\r\n`
 * and a lone `\r` each end a line), keeping each terminator so the text can
 * be rebuilt byte for byte. Line `i` here is line `i + 1` of the parser.
 */
export function splitRawLines(text: string): RawLine[] {
  const lines: RawLine[] = [];
  let start = 0;
  LINE_BREAK.lastIndex = 0;
  for (let match; (match = LINE_BREAK.exec(text)) !== null;) {
    lines.push({ text: text.slice(start, match.index), eol: match[0] });
    start = match.index + match[0].length;
  }
  if (start < text.length) lines.push({ text: text.slice(start), eol: "" });
  return lines;
}

/**
 * Sets `option` in `section` of the document `text` to `value` and returns
 * the new document. An existing option's lines are replaced (its key
 * spelling, delimiter and indentation kept); a new option goes after the
 * section's last option; a new section is appended at the end. Every other
 * byte, the BOM and the line endings included, stays as it was.
 *
 * A line break in `value` makes a multi-line value (continuation lines are
 * indented as the file already indents them, else with four spaces).
 *
 * Throws {@linkcode ConfigError} when `text` itself does not parse, and
 * {@linkcode EditError} when the value or names cannot be written so that
 * the document reads back with exactly this value (surrounding whitespace,
 * a comment-like continuation line, a bad `$`, a line break in a name).
 *
 * @param text The document, as read from disk.
 * @param section The section (`DEFAULT` for the defaults).
 * @param option The option; matched case-insensitively, as the parser does.
 * @param value The raw value to store.
 * @returns The edited document.
 *
 * @example Changing one value, keeping the comments
 * ```ts
 * import { setOption } from "./edit.ts";
 * const text = "# my app\n[aio]\nlog_level = INFO  \n\n[other]\nx = 1\n";
 * const edited = setOption(text, "aio", "log_level", "DEBUG");
 * console.log(edited); // "# my app\n[aio]\nlog_level = DEBUG\n\n[other]\nx = 1\n"
 * ```
 */
export function setOption(
  text: string,
  section: string,
  option: string,
  value: string,
  options: SetOptionOptions = {},
): string {
  const source = options.source ?? "<string>";
  checkSectionName(section);
  const key = checkOptionName(option);
  const valueLines = checkValue(value);

  const bom = text.startsWith("\ufeff") ? "\ufeff" : "";
  const lines = splitRawLines(text.slice(bom.length));
  const store = parseLines(lines, source);
  const eol = lines.find((line) => line.eol !== "")?.eol ?? "\n";
  const endsWithoutEol = lines.length > 0 && lines.at(-1)!.eol === "";
  const sectionOptions = optionsOf(store, section);
  const entry = sectionOptions?.get(key);

  let edited: RawLine[];
  if (entry) {
    edited = replaceOption(lines, store, entry, valueLines, eol);
  } else {
    const after = sectionOptions
      ? insertionLine(lines, store, section)
      : undefined;
    if (after !== undefined) {
      const keyIndent = keyIndentAfter(lines, sectionOptions!, after);
      const newLines = formatNew(
        keyIndent + key,
        valueLines,
        keyIndent + continuationUnit(lines, store),
      );
      edited = insertLines(lines, after, newLines, eol, endsWithoutEol);
    } else {
      edited = appendSection(
        lines,
        section,
        formatNew(key, valueLines, continuationUnit(lines, store)),
        eol,
        endsWithoutEol,
      );
    }
  }
  const result = bom + joinLines(edited);
  verify(store, parseLines(edited, source), {
    section,
    key,
    value,
  });
  return result;
}

/**
 * Removes `option` from `section` of the document `text` and returns the new
 * document: the option's key line and its continuation lines go, every
 * other byte stays (the section header too, even when it is left empty, as
 * `git config --unset` leaves it).
 *
 * Throws {@linkcode NotSetError} when the document does not set the option
 * in that section (one set only in `[DEFAULT]` included: unsetting it there
 * would change every section), {@linkcode ConfigError} when `text` does not
 * parse, and {@linkcode EditError} for a name the format cannot hold.
 *
 * @param text The document, as read from disk.
 * @param section The section (`DEFAULT` for the defaults).
 * @param option The option; matched case-insensitively, as the parser does.
 * @param options The name to give the document in errors.
 * @returns The edited document.
 *
 * @example Removing one option, keeping the comments
 * ```ts
 * import { unsetOption } from "./edit.ts";
 * const text = "[aio]\n# level\nlog_level = DEBUG\nmodules =\n  app.ts\n";
 * console.log(unsetOption(text, "aio", "modules")); // "[aio]\n# level\nlog_level = DEBUG\n"
 * ```
 */
export function unsetOption(
  text: string,
  section: string,
  option: string,
  options: SetOptionOptions = {},
): string {
  const source = options.source ?? "<string>";
  checkSectionName(section);
  const key = checkOptionName(option);
  const bom = text.startsWith("\ufeff") ? "\ufeff" : "";
  const lines = splitRawLines(text.slice(bom.length));
  const store = parseLines(lines, source);
  const sectionOptions = optionsOf(store, section);
  if (!sectionOptions) {
    throw new NotSetError(
      `No section '${section}' in ${source}: nothing to unset`,
    );
  }
  const entry = sectionOptions.get(key);
  if (!entry) {
    throw new NotSetError(
      section !== DEFAULT_SECTION && store.defaults.has(key)
        ? `Option '${key}' of section '${section}' comes from [DEFAULT] in ${source}: unset DEFAULT:${key} to remove it from every section`
        : `No option '${key}' in section '${section}' of ${source}: nothing to unset`,
    );
  }
  const start = entry.source.line - 1;
  const end = entry.endLine - 1;
  const edited = [...lines.slice(0, start), ...lines.slice(end + 1)];
  // A file that ended without a line break still does.
  if (end === lines.length - 1 && lines[end].eol === "" && start > 0) {
    edited[start - 1] = { ...edited[start - 1], eol: "" };
  }
  verify(store, parseLines(edited, source), { section, key });
  return bom + joinLines(edited);
}

/** The option (or section) to unset is not in the document. */
export class NotSetError extends Error {
  /** Creates the error; `message` is one line. */
  constructor(message: string) {
    super(message);
    this.name = "NotSetError";
  }
}

/** Rebuilds text from {@linkcode splitRawLines}' lines. */
export function joinLines(lines: readonly RawLine[]): string {
  let text = "";
  for (const line of lines) text += line.text + line.eol;
  return text;
}

function checkSectionName(section: string): void {
  if (section === "") throw new EditError("Section name is empty");
  if (/[\r\n\0]/.test(section)) {
    throw new EditError(
      `Section name ${JSON.stringify(section)} contains a line break or NUL`,
    );
  }
}

function checkOptionName(option: string): string {
  const key = optionxform(option);
  const shown = JSON.stringify(option);
  if (key === "") throw new EditError("Option name is empty");
  if (pyStrip(key) !== key) {
    throw new EditError(
      `Option name ${shown} starts or ends with whitespace`,
    );
  }
  if (/[=:\r\n\0]/.test(key)) {
    throw new EditError(
      `Option name ${shown} contains "=", ":", a line break or NUL`,
    );
  }
  if (/^[#;[]/.test(key)) {
    throw new EditError(
      `Option name ${shown} starts with "#", ";" or "[", which the config format reads as a comment or a section`,
    );
  }
  return key;
}

function checkValue(value: string): string[] {
  if (value.includes("\0")) throw new EditError("Value contains a NUL byte");
  if (value.includes("\r")) {
    throw new EditError(
      "Value contains a carriage return: use \\n for a line break",
    );
  }
  const lines = value.split("\n");
  const many = lines.length > 1;
  lines.forEach((line, index) => {
    const which = many ? `Value line ${index + 1}` : "Value";
    if (pyStrip(line) !== line) {
      throw new EditError(
        `${which} starts or ends with whitespace, which the config format strips`,
      );
    }
    if (index > 0 && /^[#;]/.test(line)) {
      throw new EditError(
        `${which} starts with "${
          line[0]
        }", which the config format reads as a comment`,
      );
    }
  });
  if (many && lines.at(-1) === "") {
    throw new EditError(
      "Value ends with a blank line, which the config format drops",
    );
  }
  const at = invalidInterpolationAt(value);
  if (at >= 0) {
    throw new EditError(
      `Value has a "$" at position ${at} that is not "$$" or "\${...}": write "$$" for a literal "$"`,
    );
  }
  return lines;
}

function parseLines(lines: readonly RawLine[], source: string): ConfigStore {
  const store = createStore();
  let text = "";
  for (const line of lines) text += line.text + "\n";
  readInto(store, text, source);
  return store;
}

function optionsOf(
  store: ConfigStore,
  section: string,
): OptionMap | undefined {
  return section === DEFAULT_SECTION
    ? store.defaults
    : store.sections.get(section);
}

function indentString(line: string): string {
  return line.slice(0, indentOf(line));
}

/** The first line of an entry's continuation, if the value has one. */
function continuationLine(
  lines: readonly RawLine[],
  entry: Entry,
): string | undefined {
  for (let index = entry.source.line; index < entry.endLine; index++) {
    const line = lines[index].text;
    if (pyStrip(line) !== "" && !isCommentLine(line)) return line;
  }
  return undefined;
}

/** How the file indents continuation lines beyond their key (four spaces if it never does). */
function continuationUnit(
  lines: readonly RawLine[],
  store: ConfigStore,
): string {
  for (const options of [store.defaults, ...store.sections.values()]) {
    for (const entry of options.values()) {
      const continuation = continuationLine(lines, entry);
      if (continuation === undefined) continue;
      const keyIndent = indentString(lines[entry.source.line - 1].text);
      const indent = indentString(continuation);
      if (indent.startsWith(keyIndent)) return indent.slice(keyIndent.length);
    }
  }
  return DEFAULT_CONTINUATION;
}

/** The key line and continuation lines of a value (blank value lines stay blank). */
function formatNew(
  prefix: string,
  valueLines: readonly string[],
  continuationIndent: string,
): string[] {
  const [first, ...rest] = valueLines;
  return [
    first === "" ? `${prefix} =` : `${prefix} = ${first}`,
    ...rest.map((line) => line === "" ? "" : continuationIndent + line),
  ];
}

function replaceOption(
  lines: readonly RawLine[],
  store: ConfigStore,
  entry: Entry,
  valueLines: readonly string[],
  eol: string,
): RawLine[] {
  const start = entry.source.line - 1;
  const end = entry.endLine - 1;
  const keyLine = lines[start].text;
  const indent = indentOf(keyLine);
  const stripped = pyStrip(keyLine);
  const oldValue = matchOptionLine(stripped)!.value;
  // Keep everything before the old value: indentation, key spelling, delimiter and spacing.
  let prefix = keyLine.slice(0, indent + stripped.length - oldValue.length);
  if (oldValue === "" && /\s[=:]$/.test(prefix)) prefix += " ";
  const continuation = continuationLine(lines, entry);
  const continuationIndent = continuation !== undefined
    ? indentString(continuation)
    : indentString(keyLine) + continuationUnit(lines, store);
  const [first, ...rest] = valueLines;
  const texts = [
    first === "" ? prefix.trimEnd() : prefix + first,
    ...rest.map((line) => line === "" ? "" : continuationIndent + line),
  ];
  const innerEol = lines[start].eol || eol;
  const replaced = texts.map((text, index) => ({
    text,
    eol: index === texts.length - 1 ? lines[end].eol : innerEol,
  }));
  return [...lines.slice(0, start), ...replaced, ...lines.slice(end + 1)];
}

/**
 * The 0-based index of the line after which a new option of `section` goes:
 * the last line of its last option, else its header. Undefined when the
 * section has no header in this document (DEFAULT may have none).
 */
function insertionLine(
  lines: readonly RawLine[],
  store: ConfigStore,
  section: string,
): number | undefined {
  const options = optionsOf(store, section)!;
  let last = 0;
  for (const entry of options.values()) last = Math.max(last, entry.endLine);
  if (last > 0) return last - 1;
  if (section !== DEFAULT_SECTION) {
    return store.sectionSources.get(section)!.line - 1;
  }
  return findHeader(lines, store, DEFAULT_SECTION);
}

/**
 * Finds a section header by the parser's rules: once every option's line
 * range is known, a non-blank, non-comment line outside them is a header.
 */
function findHeader(
  lines: readonly RawLine[],
  store: ConfigStore,
  section: string,
): number | undefined {
  const covered = new Uint8Array(lines.length);
  for (const options of [store.defaults, ...store.sections.values()]) {
    for (const entry of options.values()) {
      covered.fill(1, entry.source.line - 1, entry.endLine);
    }
  }
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index].text;
    if (covered[index] || isCommentLine(line)) continue;
    const stripped = pyStrip(line);
    if (stripped !== "" && matchSectionHeader(stripped) === section) {
      return index;
    }
  }
  return undefined;
}

/**
 * The indentation for a new key inserted after line `after`, chosen so that
 * neither the key nor the line after it is read as a continuation: the
 * section's last key's, or, in a section without options, the indentation
 * of the next line that counts (an indented header may follow).
 */
function keyIndentAfter(
  lines: readonly RawLine[],
  options: OptionMap,
  after: number,
): string {
  let last: Entry | undefined;
  for (const entry of options.values()) {
    if (!last || entry.endLine > last.endLine) last = entry;
  }
  if (last) return indentString(lines[last.source.line - 1].text);
  for (let index = after + 1; index < lines.length; index++) {
    const line = lines[index].text;
    if (pyStrip(line) !== "" && !isCommentLine(line)) return indentString(line);
  }
  return "";
}

function insertLines(
  lines: readonly RawLine[],
  after: number,
  texts: readonly string[],
  eol: string,
  endsWithoutEol: boolean,
): RawLine[] {
  const atEnd = after === lines.length - 1;
  const head = lines.slice(0, after + 1);
  if (atEnd && endsWithoutEol) head[after] = { ...head[after], eol };
  const inserted = texts.map((text, index) => ({
    text,
    eol: atEnd && endsWithoutEol && index === texts.length - 1 ? "" : eol,
  }));
  return [...head, ...inserted, ...lines.slice(after + 1)];
}

function appendSection(
  lines: readonly RawLine[],
  section: string,
  optionLines: readonly string[],
  eol: string,
  endsWithoutEol: boolean,
): RawLine[] {
  const texts = [`[${section}]`, ...optionLines];
  const last = lines.at(-1);
  if (last && pyStrip(last.text) !== "") texts.unshift("");
  return insertLines(lines, lines.length - 1, texts, eol, endsWithoutEol);
}

/**
 * Refuses an edit whose result does not read back as the old document plus
 * exactly the change: the new value, or (`value` undefined) the option gone.
 */
function verify(
  before: ConfigStore,
  after: ConfigStore,
  change: { section: string; key: string; value?: string },
): void {
  const removing = change.value === undefined;
  const fail = (detail: string) => {
    throw new EditError(
      `Cannot ${
        removing ? "unset" : "set"
      } '${change.key}' in section '${change.section}': the edited file would not read back as intended (${detail})`,
    );
  };
  const changed = optionsOf(after, change.section)?.get(change.key);
  if (removing ? changed !== undefined : changed?.value !== change.value) {
    fail(removing ? "the option is still there" : "the value differs");
  }
  const sectionsBefore = [...before.sections.keys()];
  const sectionsAfter = [...after.sections.keys()];
  if (
    !before.sections.has(change.section) && change.section !== DEFAULT_SECTION
  ) {
    sectionsBefore.push(change.section);
  }
  if (sectionsBefore.join("\0") !== sectionsAfter.join("\0")) {
    fail("the sections differ");
  }
  for (const name of [DEFAULT_SECTION, ...sectionsBefore]) {
    const old = optionsOf(before, name) ?? new Map<string, Entry>();
    const now = optionsOf(after, name)!;
    let expected = [...old.keys()];
    if (name === change.section) {
      if (removing) expected = expected.filter((key) => key !== change.key);
      else if (!old.has(change.key)) expected.push(change.key);
    }
    if (expected.join("\0") !== [...now.keys()].join("\0")) {
      fail(`the options of section '${name}' differ`);
    }
    for (const [option, entry] of old) {
      if (name === change.section && option === change.key) continue;
      if (now.get(option)!.value !== entry.value) {
        fail(`option '${option}' in section '${name}' changed`);
      }
    }
  }
}
