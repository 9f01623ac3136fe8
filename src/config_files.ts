/**
 * Files a config names (TLS material, NATS credentials): their paths resolve
 * against the file that holds the line, and reading them is one more
 * problem a section can report at that line.
 *
 * @module
 */

import type { SectionReader } from "./config/section_reader.ts";
import { baseUrlOf } from "./refs.ts";

/** A file path from a config value: relative ones resolve against the file that holds the line. */
export function resolvePath(path: string, sourceFile: string): string {
  if (path.startsWith("/")) return path;
  const url = new URL(path, baseUrlOf(sourceFile));
  return url.protocol === "file:" ? decodeURIComponent(url.pathname) : path;
}

/** What a file named by an option must hold. */
export interface TextFileCheck {
  /** A string the file must contain (`-----BEGIN` for PEM). */
  marker: string;
  /** What the file is, for the message (`a PEM file`). */
  kind: string;
}

/**
 * The text of the file `option` names, resolved like references; a file
 * that cannot be read, or lacks `check.marker`, is reported at the option's
 * line and gives undefined.
 *
 * @example Reading a certificate named by `cert`
 * ```ts
 * import { ConfigParser } from "./config/config_parser.ts";
 * import { Problems } from "./config/problems.ts";
 * import { SectionReader } from "./config/section_reader.ts";
 * import { readTextFileOption } from "./config_files.ts";
 * const config = new ConfigParser().readString("[s]\ncert = ./missing.pem\n", "app.conf");
 * const problems = new Problems();
 * const reader = new SectionReader(config, "s", problems);
 * readTextFileOption(reader, "cert", { marker: "-----BEGIN", kind: "a PEM file" });
 * console.log(problems.errors.length); // 1
 * ```
 */
export function readTextFileOption(
  reader: SectionReader,
  option: string,
  check: TextFileCheck,
): string | undefined {
  const name = reader.string(option);
  if (name === undefined) return undefined;
  const path = resolvePath(name, reader.source(option).file);
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    reader.error(option, `cannot read ${JSON.stringify(path)}: ${reason}`);
    return undefined;
  }
  if (!text.includes(check.marker)) {
    reader.error(option, `${JSON.stringify(path)} is not ${check.kind}`);
    return undefined;
  }
  return text;
}
