/**
 * Signal name patterns (`signals =` in `[aio/cluster]`): shell-style globs
 * as Python's `fnmatch.fnmatchcase` reads them. `*` matches any run of
 * characters (dots too), `?` one character, `[seq]` one character of seq,
 * `[!seq]` one not in it. Matching is case-sensitive.
 *
 * @module
 */

/**
 * Compiles glob `patterns` into one matcher.
 *
 * @example
 * ```ts
 * import { compilePatterns } from "./patterns.ts";
 * const matches = compilePatterns(["order-*", "stock.[!x]"]);
 * console.log(matches("order-created"), matches("stock.x")); // true false
 * ```
 *
 * @param patterns The globs, each a whole signal name.
 * @returns A function telling whether a signal name matches one of them;
 *   with no patterns, it matches nothing. Throws a `SyntaxError` naming the
 *   pattern at fault (see {@linkcode patternProblem}).
 */
export function compilePatterns(
  patterns: readonly string[],
): (signal: string) => boolean {
  if (patterns.length === 0) return () => false;
  const sources = patterns.map((pattern) => {
    const problem = patternProblem(pattern);
    if (problem) throw new SyntaxError(problem);
    return translate(pattern);
  });
  const regexp = new RegExp(`^(?:${sources.join("|")})$`, "su");
  return (signal) => regexp.test(signal);
}

/**
 * What is wrong with `pattern`, or `undefined` when it is a usable glob.
 * Unlike fnmatch, which reads an unclosed `[` as a literal one, this
 * reports it: it is far more often a typo than a signal name with `[`.
 */
export function patternProblem(pattern: string): string | undefined {
  if (pattern.trim() === "") return "a pattern is empty";
  if (hasUnclosedBracket(pattern)) {
    return `unclosed [ in ${
      JSON.stringify(pattern)
    } (write [[] for a literal [)`;
  }
  try {
    new RegExp(translate(pattern), "su");
  } catch {
    return `${JSON.stringify(pattern)} has a bad character range`;
  }
  return undefined;
}

function hasUnclosedBracket(pattern: string): boolean {
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] !== "[") continue;
    const end = classEnd(pattern, i + 1);
    if (end < 0) return true;
    i = end;
  }
  return false;
}

/** The index of the `]` closing a class whose body starts at `start`, or -1. */
function classEnd(pattern: string, start: number): number {
  let j = start;
  if (pattern[j] === "!") j++;
  if (pattern[j] === "]") j++;
  return pattern.indexOf("]", j);
}

/** The regexp source for one glob, following CPython's `fnmatch.translate`. */
function translate(pattern: string): string {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === "*") {
      if (pattern[i - 1] !== "*") source += ".*";
    } else if (char === "?") {
      source += ".";
    } else if (char === "[" && classEnd(pattern, i + 1) >= 0) {
      const end = classEnd(pattern, i + 1);
      let body = pattern.slice(i + 1, end);
      i = end;
      const negate = body.startsWith("!");
      if (negate) body = body.slice(1);
      const inner = body.replace(/[\\\[\]^]/g, "\\$&");
      source += negate ? `[^${inner}]` : `[${inner}]`;
    } else {
      // Only syntax characters may be escaped in a unicode regexp.
      source += char.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    }
  }
  return source;
}
