/**
 * The kinds of config error, named after the CPython exceptions they mirror
 * so parity tests can compare them; `Invalid` covers aio's own checks.
 */
export type ConfigErrorKind =
  | "MissingSectionHeaderError"
  | "DuplicateSectionError"
  | "DuplicateOptionError"
  | "ParsingError"
  | "InterpolationMissingOptionError"
  | "InterpolationSyntaxError"
  | "InterpolationDepthError"
  | "NoSectionError"
  | "NoOptionError"
  | "ReadError"
  | "Invalid";

/** Where a value or an error comes from: a file (or string source) and a 1-based line. */
export interface ValueSource {
  /** The file path, or the name given to `readString`. */
  file: string;
  /** The 1-based line number; 0 when no line applies (a whole-file error). */
  line: number;
}

/** Options for {@linkcode ConfigError}. */
export interface ConfigErrorOptions {
  /** The file the error is about. */
  source: string;
  /** The 1-based line, or 0 when the error is about the whole file. */
  line?: number;
  /** What kind of error this is; defaults to `Invalid`. */
  kind?: ConfigErrorKind;
  /** The underlying error, if any. */
  cause?: unknown;
}

/**
 * An error in a config file: bad syntax, a bad value, or a value that names
 * something that does not exist. Its message starts with `FILE:LINE: `.
 *
 * @example Catching a parse error
 * ```ts
 * import { ConfigError, ConfigParser } from "@aio/app";
 * try {
 *   new ConfigParser().readString("no header", "app.conf");
 * } catch (error) {
 *   if (error instanceof ConfigError) console.log(error.source, error.line);
 * }
 * ```
 */
export class ConfigError extends Error {
  /** The file the error is about. */
  readonly source: string;
  /** The 1-based line, or 0 when the error is about the whole file. */
  readonly line: number;
  /** The message without the `FILE:LINE: ` prefix. */
  readonly detail: string;
  /** What kind of error this is. */
  readonly kind: ConfigErrorKind;

  /** Creates an error about `options.source` at `options.line`. */
  constructor(detail: string, options: ConfigErrorOptions) {
    const line = options.line ?? 0;
    super(`${formatSource(options.source, line)}: ${detail}`, {
      cause: options.cause,
    });
    this.name = "ConfigError";
    this.source = options.source;
    this.line = line;
    this.detail = detail;
    this.kind = options.kind ?? "Invalid";
  }
}

/** Formats a source as `file:line`, or `file` alone when there is no line. */
export function formatSource(file: string, line: number): string {
  return line > 0 ? `${file}:${line}` : file;
}

/** Builds a {@linkcode ConfigError} located at `source`. */
export function errorAt(
  source: ValueSource,
  detail: string,
  kind: ConfigErrorKind = "Invalid",
): ConfigError {
  return new ConfigError(detail, {
    source: source.file,
    line: source.line,
    kind,
  });
}
