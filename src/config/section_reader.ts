/**
 * Reading one section of the config, the same way for every part of aio:
 * typed getters that collect each problem (instead of throwing the first)
 * as a {@linkcode ConfigError} of one shape, `FILE:LINE: [section] option:
 * what is wrong`, and a check for options nobody knows.
 *
 * @module
 */

import {
  formatBound,
  MAX_COUNT,
  MAX_TIMER_S,
  MIN_WAIT_S,
  secondsRange,
  within,
} from "./bounds.ts";
import type { ConfigParser } from "./config_parser.ts";
import { parsePythonFloat, parsePythonInt } from "./config_parser.ts";
import { DEFAULTS_SOURCE } from "./defaults.ts";
import { errorAt, type ValueSource } from "./errors.ts";
import type { Problems } from "./problems.ts";
import { readValue } from "./read_value.ts";
import { ownOptions } from "./sections.ts";
import { closest } from "../suggest.ts";

/** A reference option as written: its value and where. */
export interface RefOption {
  /** The option name (`func`, `protocol`, ...). */
  option: string;
  /** The `SPECIFIER#EXPORT` text. */
  value: string;
  /** The file and line of the value. */
  source: ValueSource;
}

/** Bounds for {@linkcode SectionReader.seconds}, in seconds, both inclusive. */
export interface SecondsBounds {
  /** The least value: {@linkcode MIN_WAIT_S} (1 ms) unless given (0 where 0 means "at once"). */
  min?: number;
  /** The greatest value: {@linkcode MAX_TIMER_S} (what one timer holds) unless given. */
  max?: number;
}

/** Bounds for {@linkcode SectionReader.integer}, both inclusive. */
export interface IntegerBounds {
  /** The least value. */
  min: number;
  /** The greatest value: {@linkcode MAX_COUNT} unless given. */
  max?: number;
  /** What the value is, for the message, instead of `a whole number from MIN to MAX`. */
  what?: string;
}

/** Options for a {@linkcode SectionReader}. */
export interface SectionReaderOptions {
  /**
   * The options this section may hold. With a list, {@linkcode SectionReader.checkUnknown}
   * reports the others: an error with "did you mean" when one is a slip of
   * a known option not set itself, else a warning (modules may read their own).
   */
  known?: readonly string[];
}

/**
 * Reads one section, reporting each problem to a {@linkcode Problems}.
 *
 * @example Reading a duration
 * ```ts
 * import { ConfigParser } from "./config_parser.ts";
 * import { Problems } from "./problems.ts";
 * import { SectionReader } from "./section_reader.ts";
 * const config = new ConfigParser().readString("[aio]\nshutdown_timeout = -1\n", "app.conf");
 * const problems = new Problems();
 * const reader = new SectionReader(config, "aio", problems);
 * reader.seconds("shutdown_timeout", { min: 0, max: 86_400 });
 * console.log(problems.errors[0].message);
 * // app.conf:2: [aio] shutdown_timeout: must be a number of seconds from 0 to 86400, not "-1"
 * ```
 */
export class SectionReader {
  /** The section's name. */
  readonly section: string;
  readonly #config: ConfigParser;
  readonly #problems: Problems;
  readonly #known: readonly string[] | undefined;

  /** Reads `section` of `config`; problems go to `problems`. */
  constructor(
    config: ConfigParser,
    section: string,
    problems: Problems,
    options: SectionReaderOptions = {},
  ) {
    this.#config = config;
    this.section = section;
    this.#problems = problems;
    this.#known = options.known;
  }

  /** Whether the section (or DEFAULT) has `option`. */
  has(option: string): boolean {
    return this.#config.has(this.section, option);
  }

  /** The file and line of `option`'s value. */
  source(option: string): ValueSource {
    return this.#config.source(this.section, option);
  }

  /** The file and line of the section's header. */
  get headerSource(): ValueSource {
    return this.#config.sectionSource(this.section);
  }

  /**
   * The interpolated, stripped value; undefined when absent or when it does
   * not interpolate (reported at the value that holds the broken reference,
   * as `[section] option: <CPython's detail>`).
   */
  string(option: string): string | undefined {
    if (!this.has(option)) return undefined;
    return this.#problems.collect(() =>
      readValue(this.#config, this.section, option).trim()
    );
  }

  /** Like {@linkcode SectionReader.string}, and reports a missing or empty value. */
  required(option: string, what = "a value"): string | undefined {
    if (!this.has(option)) {
      this.sectionError(`needs ${option} (${what})`);
      return undefined;
    }
    const value = this.string(option);
    if (value === "") this.error(option, `is empty; it should be ${what}`);
    return value || undefined;
  }

  /** A `SPECIFIER#EXPORT` option: its text and where it was written. */
  ref(option: string): RefOption | undefined {
    const value = this.string(option);
    if (value === undefined) return undefined;
    if (!value) {
      this.error(option, "is empty; it should name SPECIFIER#EXPORT");
      return undefined;
    }
    return { option, value, source: this.source(option) };
  }

  /** The value's non-empty lines, each stripped. */
  list(option: string): string[] {
    const value = this.string(option);
    if (!value) return [];
    return value.split("\n").map((line) => line.trim()).filter(Boolean);
  }

  /** A boolean (`1 yes true on` / `0 no false off`, any case); `fallback` when absent or bad (reported). */
  boolean(option: string, fallback = false): boolean {
    const value = this.string(option);
    if (value === undefined) return fallback;
    const word = value.toLowerCase();
    if (["1", "yes", "true", "on"].includes(word)) return true;
    if (["0", "no", "false", "off"].includes(word)) return false;
    this.error(
      option,
      `must be a boolean (yes/no, true/false, on/off, 1/0), not ${
        JSON.stringify(value)
      }`,
    );
    return fallback;
  }

  /**
   * A duration in seconds, read as Python's `float()` reads it, within
   * `bounds` (by default 1 ms to what one timer holds, 2147483 s);
   * undefined when absent or bad (reported).
   */
  seconds(option: string, bounds: SecondsBounds = {}): number | undefined {
    const range = {
      min: bounds.min ?? MIN_WAIT_S,
      max: bounds.max ?? MAX_TIMER_S,
    };
    return this.#bounded(
      option,
      parsePythonFloat,
      range,
      `a number of ${secondsRange(range)}`,
    );
  }

  /**
   * A whole number, read as Python's `int()` reads it, within `bounds`
   * (at most {@linkcode MAX_COUNT} unless given); undefined when absent or
   * bad (reported).
   */
  integer(option: string, bounds: IntegerBounds): number | undefined {
    const range = { min: bounds.min, max: bounds.max ?? MAX_COUNT };
    return this.#bounded(
      option,
      parsePythonInt,
      range,
      bounds.what ??
        `a whole number from ${formatBound(range.min)} to ${
          formatBound(range.max)
        }`,
    );
  }

  #bounded(
    option: string,
    parse: (text: string) => number | undefined,
    range: { min: number; max: number },
    what: string,
  ): number | undefined {
    const text = this.string(option);
    if (text === undefined) return undefined;
    const value = parse(text);
    if (value === undefined || !within(value, range)) {
      this.error(option, `must be ${what}, not ${JSON.stringify(text)}`);
      return undefined;
    }
    return value;
  }

  /** One of `choices` (compared lowercased); undefined when absent or bad (reported). */
  choice<T extends string>(
    option: string,
    choices: readonly T[],
  ): T | undefined {
    const text = this.string(option);
    if (text === undefined) return undefined;
    const value = text.toLowerCase() as T;
    if (choices.includes(value)) return value;
    this.error(
      option,
      `must be one of ${choices.join(", ")}, not ${JSON.stringify(text)}`,
    );
    return undefined;
  }

  /** The section's options (DEFAULT's included, as configparser gives them), interpolated; broken ones reported and left out. */
  values(): Record<string, string> {
    const values: Record<string, string> = {};
    for (const option of this.#config.options(this.section)) {
      const value = this.string(option);
      if (value !== undefined) values[option] = value;
    }
    return values;
  }

  /** Reports `detail` about `option`, at its line: `FILE:LINE: [section] option: detail`. */
  error(option: string, detail: string): void {
    this.#problems.error(
      errorAt(this.source(option), `[${this.section}] ${option}: ${detail}`),
    );
  }

  /** Reports `detail` about the whole section, at its header: `FILE:LINE: [section] detail`. */
  sectionError(detail: string): void {
    this.#problems.error(
      errorAt(this.headerSource, `[${this.section}] ${detail}`),
    );
  }

  /**
   * Reports the section's own options that are not `known` (those that come
   * from DEFAULT never are): an error when the option is a slip of a known
   * option that is not set itself (`adress` for `address`), else a warning.
   */
  checkUnknown(): void {
    if (!this.#known) return;
    const known = new Set(this.#known);
    for (const option of ownOptions(this.#config, this.section)) {
      if (known.has(option)) continue;
      // aio's built-in defaults set some options; a slip of one of those
      // still counts as a slip of an option the user has not set.
      const unset = this.#known.filter((name) =>
        !this.has(name) || this.source(name).file === DEFAULTS_SOURCE
      );
      const near = closest(option, unset);
      const where = this.source(option);
      if (near) {
        this.#problems.error(errorAt(
          where,
          `[${this.section}] ${option}: unknown option; did you mean '${near}'?`,
        ));
      } else {
        this.#problems.warn(errorAt(
          where,
          `[${this.section}] ${option}: unknown option (aio does not read it; a module may)`,
        ));
      }
    }
  }
}
