/**
 * The `ConfigParser` class: CPython's `ConfigParser` with
 * `ExtendedInterpolation`, plus source tracking for every value.
 *
 * @module
 */

import { ConfigError, errorAt, type ValueSource } from "./errors.ts";
import {
  type ConfigStore,
  createStore,
  DEFAULT_SECTION,
  type Entry,
  isPySpace,
  type OptionMap,
  optionxform,
  pyStrip,
  readInto,
} from "./parser.ts";
import { interpolate, invalidInterpolationAt } from "./interpolation.ts";
import { readConfigFile } from "./read_file.ts";

/** Options for {@linkcode ConfigParser.get} and the typed getters. */
export interface GetOptions<T> {
  /** Return the value as written, without `${...}` expansion. */
  raw?: boolean;
  /** Returned when the section or option does not exist (instead of throwing). */
  fallback?: T;
}

/** The file name given to values set in code. */
export const SET_IN_CODE = "<set>";

const TRUE_WORDS = new Set(["1", "yes", "true", "on"]);
const FALSE_WORDS = new Set(["0", "no", "false", "off"]);

/**
 * An INI document read exactly as Python's
 * `configparser.ConfigParser(interpolation=ExtendedInterpolation())` reads it.
 * Reading several documents layers them: a later one wins option by option.
 *
 * @example Reading and interpolating
 * ```ts
 * import { ConfigParser } from "@aio/app";
 * const parser = new ConfigParser();
 * parser.readString("[aio]\nlevel = INFO\n[log]\nlevel = ${aio:level}\n", "app.conf");
 * console.log(parser.get("log", "level")); // "INFO"
 * console.log(parser.source("log", "level")); // { file: "app.conf", line: 4 }
 * ```
 */
export class ConfigParser {
  #store: ConfigStore = createStore();
  #env: (name: string) => string | undefined;
  /** The files read, in order (string sources included). */
  readonly files: string[] = [];

  /**
   * Creates an empty parser. `options.env` replaces the environment lookup
   * behind `${env:NAME}` (by default `Deno.env.get`).
   */
  constructor(options: { env?: (name: string) => string | undefined } = {}) {
    this.#env = options.env ?? readEnv;
  }

  /**
   * An independent copy: reading more into it leaves this parser as it is
   * (logging reads `logging.conf` on top of a copy).
   */
  clone(): ConfigParser {
    const copy = new ConfigParser({ env: this.#env });
    const store = copy.#store;
    for (const [name, entry] of this.#store.defaults) {
      store.defaults.set(name, entry);
    }
    for (const [section, options] of this.#store.sections) {
      store.sections.set(section, new Map(options));
    }
    for (const [section, source] of this.#store.sectionSources) {
      store.sectionSources.set(section, source);
    }
    copy.files.push(...this.files);
    return copy;
  }

  /** Parses `text` on top of what was read before. Throws {@linkcode ConfigError}. */
  readString(text: string, source = "<string>"): this {
    readInto(this.#store, text, source);
    this.files.push(source);
    return this;
  }

  /** Reads a UTF-8 file on top of what was read before. Throws {@linkcode ConfigError}. */
  read(path: string): this {
    readInto(this.#store, readConfigFile(path), path);
    this.files.push(path);
    return this;
  }

  /** The section names in order, without DEFAULT. */
  sections(): string[] {
    return [...this.#store.sections.keys()];
  }

  /** The option names of `section` in CPython's order: its own, then DEFAULT's. */
  options(section: string): string[] {
    if (section === DEFAULT_SECTION) return [...this.#store.defaults.keys()];
    const options = this.#sectionOrThrow(section);
    const names = [...options.keys()];
    for (const name of this.#store.defaults.keys()) {
      if (!options.has(name)) names.push(name);
    }
    return names;
  }

  /** DEFAULT's options, raw. */
  defaults(): Record<string, string> {
    return Object.fromEntries(
      [...this.#store.defaults].map(([name, entry]) => [name, entry.value]),
    );
  }

  /**
   * `has(section)`: whether the section exists (DEFAULT does not count, as in
   * CPython). `has(section, option)`: whether the option is set there or in DEFAULT.
   */
  has(section: string, option?: string): boolean {
    if (option === undefined) return this.#store.sections.has(section);
    // CPython's has_option treats an empty section name as DEFAULT.
    const name = section === "" ? DEFAULT_SECTION : section;
    return this.#entry(name, optionxform(option)) !== undefined;
  }

  /**
   * The value of `option` in `section` (or DEFAULT), interpolated unless
   * `raw`. Throws {@linkcode ConfigError} when it is missing and no
   * `fallback` is given, or when interpolation fails.
   */
  get(section: string, option: string, options?: GetOptions<string>): string;
  /** The value, or `options.fallback` when it is missing. */
  get<T>(section: string, option: string, options: GetOptions<T>): string | T;
  get<T>(
    section: string,
    option: string,
    options: GetOptions<T> = {},
  ): string | T {
    const name = optionxform(option);
    const entry = this.#entry(section, name);
    if (entry === undefined) {
      if ("fallback" in options) return options.fallback as T;
      throw this.#missing(section, name);
    }
    if (options.raw) return entry.value;
    return interpolate(
      this.#interpolationSource,
      section,
      name,
      entry.value,
      entry.source,
    );
  }

  /** The value as an integer, as Python's `int()` reads it. */
  getInt(
    section: string,
    option: string,
    options: GetOptions<number> = {},
  ): number {
    return this.#convert(
      section,
      option,
      options,
      "an integer",
      parsePythonInt,
    );
  }

  /** The value as a number, as Python's `float()` reads it. */
  getFloat(
    section: string,
    option: string,
    options: GetOptions<number> = {},
  ): number {
    return this.#convert(
      section,
      option,
      options,
      "a number",
      parsePythonFloat,
    );
  }

  /** The value as a boolean: `1 yes true on` or `0 no false off`, any case. */
  getBoolean(
    section: string,
    option: string,
    options: GetOptions<boolean> = {},
  ): boolean {
    return this.#convert(section, option, options, "a boolean", (text) => {
      const word = text.toLowerCase();
      if (TRUE_WORDS.has(word)) return true;
      if (FALSE_WORDS.has(word)) return false;
      return undefined;
    });
  }

  /** The value split into its non-empty lines, each stripped. */
  getList(
    section: string,
    option: string,
    options: GetOptions<string[]> = {},
  ): string[] {
    const value = this.get<string[]>(section, option, options);
    if (typeof value !== "string") return value;
    return value.split("\n").map(pyStrip).filter(Boolean);
  }

  /**
   * Sets a raw value. The section must exist (or be DEFAULT), and `$` must
   * be used as interpolation allows, as in CPython.
   */
  set(section: string, option: string, value: string): this {
    const options = section === DEFAULT_SECTION
      ? this.#store.defaults
      : this.#sectionOrThrow(section);
    const at = invalidInterpolationAt(value);
    if (at >= 0) {
      throw new ConfigError(
        `Invalid interpolation syntax in ${
          JSON.stringify(value)
        } at position ${at}`,
        { source: SET_IN_CODE, kind: "InterpolationSyntaxError" },
      );
    }
    const source = { file: SET_IN_CODE, line: 0 };
    options.set(optionxform(option), { value, source, endLine: 0 });
    return this;
  }

  /** Adds an empty section; an existing one is an error, as in CPython. */
  addSection(section: string): this {
    if (section === DEFAULT_SECTION) {
      throw new ConfigError(`Invalid section name: '${section}'`, {
        source: SET_IN_CODE,
      });
    }
    if (this.#store.sections.has(section)) {
      throw new ConfigError(`Section '${section}' already exists`, {
        source: SET_IN_CODE,
        kind: "DuplicateSectionError",
      });
    }
    this.#store.sections.set(section, new Map());
    this.#store.sectionSources.set(section, { file: SET_IN_CODE, line: 0 });
    return this;
  }

  /** The file and line of the value that wins for `option` in `section`. */
  source(section: string, option: string): ValueSource {
    const name = optionxform(option);
    const entry = this.#entry(section, name);
    if (!entry) throw this.#missing(section, name);
    return { ...entry.source };
  }

  /** Where `section` was first declared. */
  sectionSource(section: string): ValueSource {
    const source = this.#store.sectionSources.get(section);
    if (!source) throw this.#missing(section);
    return { ...source };
  }

  /**
   * The options of `section` with interpolated (or `raw`) values, in
   * CPython's `items(section)` order: DEFAULT's options first, then the
   * section's own that DEFAULT lacks (unlike `options()`, own first).
   */
  items(section: string, options: { raw?: boolean } = {}): [string, string][] {
    const own = section === DEFAULT_SECTION
      ? this.#store.defaults
      : this.#sectionOrThrow(section);
    const names = [...this.#store.defaults.keys()];
    for (const name of own.keys()) {
      if (!this.#store.defaults.has(name)) names.push(name);
    }
    return names.map((name) => [name, this.get(section, name, options)]);
  }

  /**
   * The whole document, interpolated, as `aio config` prints it: DEFAULT
   * first, `option = value`, continuation lines indented with a tab, a blank
   * line after each section.
   */
  toString(): string {
    let text = "";
    const write = (name: string, options: OptionMap) => {
      text += `[${name}]\n`;
      for (const option of options.keys()) {
        text += formatOption(option, this.get(name, option));
      }
      text += "\n";
    };
    if (this.#store.defaults.size > 0) {
      write(DEFAULT_SECTION, this.#store.defaults);
    }
    for (const [name, options] of this.#store.sections) write(name, options);
    return text;
  }

  #interpolationSource = {
    lookup: (section: string, option: string) =>
      this.#entry(section, option)?.value,
    hasSection: (section: string) => this.#store.sections.has(section),
    optionxform,
    env: (name: string) => this.#env(name),
  };

  #entry(section: string, option: string): Entry | undefined {
    if (section === DEFAULT_SECTION) return this.#store.defaults.get(option);
    const options = this.#store.sections.get(section);
    if (!options) return undefined;
    return options.get(option) ?? this.#store.defaults.get(option);
  }

  #sectionOrThrow(section: string): OptionMap {
    const options = this.#store.sections.get(section);
    if (!options) throw this.#missing(section);
    return options;
  }

  #missing(section: string, option?: string): ConfigError {
    const where = this.#store.sectionSources.get(section) ??
      { file: this.files.at(-1) ?? "<config>", line: 0 };
    if (
      option === undefined ||
      (section !== DEFAULT_SECTION && !this.#store.sections.has(section))
    ) {
      return errorAt(where, `No section: '${section}'`, "NoSectionError");
    }
    return errorAt(
      where,
      `No option '${option}' in section '${section}'`,
      "NoOptionError",
    );
  }

  #convert<T>(
    section: string,
    option: string,
    options: GetOptions<T>,
    what: string,
    parse: (text: string) => T | undefined,
  ): T {
    const name = optionxform(option);
    if (!this.#entry(section, name) && "fallback" in options) {
      return options.fallback as T;
    }
    const text = this.get(section, name, { raw: options.raw });
    const value = parse(text);
    if (value === undefined) {
      throw errorAt(
        this.source(section, name),
        `Option '${name}' in section '${section}' must be ${what}, not ${
          JSON.stringify(text)
        }`,
      );
    }
    return value;
  }
}

/** Formats one option as `aio config` prints it (continuation lines start with a tab). */
export function formatOption(name: string, value: string): string {
  return `${name} = ${value.replaceAll("\n", "\n\t")}\n`;
}

function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    // Without --allow-env the variable is simply not visible.
    return undefined;
  }
}

/**
 * Python's `int(text)`: ASCII whitespace or any non-ASCII Python space
 * around, an optional sign, decimal digits of any script with single
 * underscores between them. Beyond 2^53 the result is the nearest double,
 * not Python's exact integer.
 */
export function parsePythonInt(text: string): number | undefined {
  const digits = toAsciiNumber(text);
  if (!/^[+-]?\d+(?:_\d+)*$/.test(digits)) return undefined;
  return Number(digits.replaceAll("_", ""));
}

/** Python's `float(text)`, including `inf`, `infinity`, `nan` and digits of any script. */
export function parsePythonFloat(text: string): number | undefined {
  const number = toAsciiNumber(text);
  if (/^[+-]?(inf|infinity)$/i.test(number)) {
    return number.startsWith("-") ? -Infinity : Infinity;
  }
  if (/^[+-]?nan$/i.test(number)) return NaN;
  if (
    !/^[+-]?(\d+(_\d+)*(\.(\d+(_\d+)*)?)?|\.\d+(_\d+)*)([eE][+-]?\d+(_\d+)*)?$/
      .test(number)
  ) {
    return undefined;
  }
  return Number(number.replaceAll("_", ""));
}

const DECIMAL_DIGIT = /\p{Nd}/u;
const ASCII_SPACE_AROUND = /^[ \t\n\r\v\f]+|[ \t\n\r\v\f]+$/g;

/**
 * CPython's `_PyUnicode_TransformDecimalAndSpaceToASCII` and the strip that
 * follows it: non-ASCII spaces become ` `, decimal digits of other scripts
 * (`٣`, `３`) become ASCII ones, then ASCII whitespace is stripped (so
 * U+001C-U+001F, spaces to `str.strip()`, stay and spoil the number).
 * Unicode lays each script's digits out in runs of ten from zero, so a
 * digit's value is its distance from the start of its run, modulo ten.
 */
function toAsciiNumber(text: string): string {
  let out = text;
  // deno-lint-ignore no-control-regex
  if (!/^[\x00-\x7f]*$/.test(text)) {
    out = "";
    for (const char of text) {
      const code = char.codePointAt(0)!;
      if (code < 0x80) out += char;
      else if (isPySpace(code)) out += " ";
      else if (DECIMAL_DIGIT.test(char)) {
        let start = code;
        while (DECIMAL_DIGIT.test(String.fromCodePoint(start - 1))) start--;
        out += String((code - start) % 10);
      } else out += "?";
    }
  }
  return out.replace(ASCII_SPACE_AROUND, "");
}
