/**
 * Writing values into a systemd unit file so systemd reads back exactly
 * what was meant: `%` starts a specifier, `$` an environment variable (in
 * command lines), and whitespace, quotes and backslashes need quoting.
 *
 * @module
 */

/** Text that goes into the unit as it is, specifiers included (`%t`, say). */
export interface Raw {
  /** The unit-file text. */
  raw: string;
}

/** A piece of a value: literal text (escaped) or {@linkcode Raw} text. */
export type Piece = string | Raw;

/** `%` doubled, so systemd expands no specifier in `text`. */
export function escapeSpecifiers(text: string): string {
  return text.replaceAll("%", "%%");
}

/** Joins pieces, escaping the literal ones with `escape`. */
function join(pieces: readonly Piece[], escape: (text: string) => string) {
  return pieces.map((piece) =>
    typeof piece === "string" ? escape(piece) : piece.raw
  ).join("");
}

/**
 * Quotes a word for a list setting (`ReadWritePaths=`, `Environment=`)
 * when it needs it: double quotes, with `\` and `"` and control characters
 * escaped C-style.
 */
function quoteWord(word: string): string {
  // A lone ; would end the command: quoted, it is an argument.
  // deno-lint-ignore no-control-regex -- control characters are what must be escaped
  if (word !== "" && !/[\s"';\\\x00-\x1f\x7f]/.test(word)) return word;
  // deno-lint-ignore no-control-regex -- as above
  const body = word.replace(/[\\"\x00-\x1f\x7f]/g, (c) => {
    switch (c) {
      case "\\":
      case '"':
        return `\\${c}`;
      case "\n":
        return "\\n";
      case "\t":
        return "\\t";
      default:
        return `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
    }
  });
  return `"${body}"`;
}

/**
 * One argument of `ExecStart=` / `ExecReload=`: specifiers and `$`
 * escaped in the literal pieces, the whole quoted when it needs it.
 *
 * @example
 * ```ts
 * import { commandArg } from "./unit_escape.ts";
 * commandArg(["/srv/my app/50%"]); // '"/srv/my app/50%%"'
 * commandArg(["--allow-net=unix:", { raw: "%t" }, "/systemd/notify"]);
 * // "--allow-net=unix:%t/systemd/notify": %t is the runtime directory
 * ```
 */
export function commandArg(pieces: readonly Piece[]): string {
  return quoteWord(
    join(pieces, (text) => escapeSpecifiers(text).replaceAll("$", "$$$$")),
  );
}

/**
 * The executable of `ExecStart=`: like {@linkcode commandArg}, except that
 * systemd expands no `$` in it (so none is doubled) and refuses quotes,
 * backslashes and control characters in it, quoted or not (so those throw
 * here, naming the path to move).
 */
export function commandPath(path: string): string {
  // deno-lint-ignore no-control-regex -- systemd's string_is_safe() refuses these
  if (/["'\\\x00-\x1f\x7f]/.test(path)) {
    throw new TypeError(
      `systemd will not run an executable whose path holds a quote, a backslash or a control character: ${
        JSON.stringify(path)
      }`,
    );
  }
  return quoteWord(escapeSpecifiers(path));
}

/** One word of a space-separated list setting (`ReadWritePaths=`, `Environment=`). */
export function listWord(pieces: readonly Piece[]): string {
  return quoteWord(join(pieces, escapeSpecifiers));
}

/**
 * A single-value setting (`WorkingDirectory=`, `Description=`): taken to the
 * end of the line, so only specifiers need escaping; a newline cannot be
 * written and is refused.
 */
export function plainValue(text: string): string {
  if (/[\n\r]/.test(text)) {
    throw new TypeError(
      `A unit file value cannot hold a line break: ${JSON.stringify(text)}`,
    );
  }
  return escapeSpecifiers(text);
}
