/**
 * CPython's `ExtendedInterpolation`, ported step for step, plus aio's
 * `${env:NAME}` extension for documents that have no `env` section.
 *
 * @module
 */

import { ConfigError, type ValueSource } from "./errors.ts";

/** The kinds of error interpolation raises, as CPython names them. */
export type InterpolationErrorKind =
  | "InterpolationMissingOptionError"
  | "InterpolationSyntaxError"
  | "InterpolationDepthError";

/**
 * A `${...}` reference that cannot be expanded. Its message is CPython's,
 * at the line of the value that was read (parity with CPython); `section`
 * and `option` name the value that holds the broken reference, which may
 * be another one that the value read refers to (`level = ${aio:log_level}`
 * with a bad `[aio] log_level`): that is the line the user can fix.
 */
export class InterpolationError extends ConfigError {
  /** The section of the value that holds the broken reference. */
  readonly section: string;
  /** The option whose value holds the broken reference. */
  readonly option: string;

  /** Creates the error; `where` is the value read, `section` and `option` the holder. */
  constructor(
    detail: string,
    where: ValueSource,
    holder: { section: string; option: string; kind: InterpolationErrorKind },
  ) {
    super(detail, { source: where.file, line: where.line, kind: holder.kind });
    this.section = holder.section;
    this.option = holder.option;
  }
}

/** CPython's `MAX_INTERPOLATION_DEPTH`. */
export const MAX_INTERPOLATION_DEPTH = 10;

const KEY_RE = /^\$\{([^}]+)\}/;

/** What the interpolation needs to read from the parser. */
export interface InterpolationSource {
  /** The raw value of `option` in `section` (section, then DEFAULT), or undefined. */
  lookup(section: string, option: string): string | undefined;
  /** Whether a section (not DEFAULT) exists. */
  hasSection(section: string): boolean;
  /** CPython's optionxform. */
  optionxform(name: string): string;
  /** Reads an environment variable for `${env:NAME}`. */
  env(name: string): string | undefined;
}

/**
 * Expands `${...}` references and `$$` in `value`, the raw value of `option`
 * in `section`. Errors carry the kind CPython raises and `source`'s location.
 */
export function interpolate(
  source: InterpolationSource,
  section: string,
  option: string,
  value: string,
  where: ValueSource,
): string {
  const parts: string[] = [];
  const expand = (
    option: string,
    rest: string,
    section: string,
    depth: number,
  ): void => {
    const fail = (kind: InterpolationErrorKind, detail: string) =>
      new InterpolationError(detail, where, { section, option, kind });
    if (depth > MAX_INTERPOLATION_DEPTH) {
      throw fail(
        "InterpolationDepthError",
        `Recursion limit exceeded in value substitution: option '${option}' in section '${section}' contains an interpolation key which cannot be substituted in ${MAX_INTERPOLATION_DEPTH} steps`,
      );
    }
    while (rest) {
      const at = rest.indexOf("$");
      if (at < 0) {
        parts.push(rest);
        return;
      }
      if (at > 0) {
        parts.push(rest.slice(0, at));
        rest = rest.slice(at);
      }
      const next = rest.slice(1, 2);
      if (next === "$") {
        parts.push("$");
        rest = rest.slice(2);
      } else if (next === "{") {
        const match = KEY_RE.exec(rest);
        if (!match) {
          throw fail(
            "InterpolationSyntaxError",
            `Bad interpolation variable reference in option '${option}' of section '${section}': ${
              pyRepr(rest)
            }`,
          );
        }
        const path = match[1].split(":");
        rest = rest.slice(match[0].length);
        let targetSection = section;
        let targetOption: string;
        let found: string | undefined;
        if (path.length === 1) {
          targetOption = source.optionxform(path[0]);
          found = source.lookup(section, targetOption);
        } else if (path.length === 2) {
          targetSection = path[0];
          if (targetSection === "env" && !source.hasSection("env")) {
            const variable = source.env(path[1]);
            if (variable === undefined) {
              throw fail(
                "InterpolationMissingOptionError",
                `Environment variable '${
                  path[1]
                }' is not set (referenced by option '${option}' in section '${section}')`,
              );
            }
            parts.push(variable);
            continue;
          }
          targetOption = source.optionxform(path[1]);
          found = source.lookup(targetSection, targetOption);
        } else {
          throw fail(
            "InterpolationSyntaxError",
            `More than one ':' found in option '${option}' of section '${section}': ${
              pyRepr(rest)
            }`,
          );
        }
        if (found === undefined) {
          throw fail(
            "InterpolationMissingOptionError",
            `Bad value substitution: option '${option}' in section '${section}' refers to '${
              path.join(":")
            }', which is not defined`,
          );
        }
        if (found.includes("$")) {
          expand(targetOption, found, targetSection, depth + 1);
        } else {
          parts.push(found);
        }
      } else {
        throw fail(
          "InterpolationSyntaxError",
          `'$' must be followed by '$' or '{' in option '${option}' of section '${section}', found: ${
            pyRepr(rest)
          }`,
        );
      }
    }
  };

  expand(option, value, section, 1);
  return parts.join("");
}

/**
 * CPython's `before_set` check: after removing `$$` and valid `${...}`
 * references, no `$` may remain. Returns the offending position, or -1.
 */
export function invalidInterpolationAt(value: string): number {
  return value.replaceAll("$$", "").replace(/\$\{[^}]+\}/g, "").indexOf("$");
}

function pyRepr(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}...` : text);
}
