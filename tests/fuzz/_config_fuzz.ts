// Random config documents for fuzzing the parser: shared by the fast test
// (a fixed number of cases) and the stress task (minutes of them).
import { ConfigError } from "../../src/config/errors.ts";
import { ConfigParser } from "../../src/config/config_parser.ts";
import { decodeConfig } from "../../src/config/read_file.ts";

/** A small, seedable PRNG (mulberry32), so a failing case can be replayed. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  "[",
  "]",
  "=",
  ":",
  "$",
  "${",
  "}",
  "$$",
  "#",
  ";",
  " ",
  "\t",
  "\n",
  "\r",
  "\n  ",
  "DEFAULT",
  "[DEFAULT]\n",
  "[s]\n",
  "[t]\n",
  "a",
  "b",
  "key",
  "value",
  "${a}",
  "${s:a}",
  "${t:b}",
  "${x:y:z}",
  "${env:HOME}",
  "\u00a0",
  "\u3000",
  "\x1c",
  "\ufeff",
  "é",
  "😀",
];

/** One random document, as bytes; `kind` picks the shape. */
export function randomDocument(random: () => number, kind: number): Uint8Array {
  const pick = <T>(items: readonly T[]) =>
    items[Math.floor(random() * items.length)];
  const encoder = new TextEncoder();
  switch (kind % 5) {
    case 0: { // random bytes
      const bytes = new Uint8Array(Math.floor(random() * 512));
      for (let i = 0; i < bytes.length; i++) {
        bytes[i] = Math.floor(random() * 256);
      }
      return bytes;
    }
    case 1: { // random pieces of the dialect
      let text = "";
      const count = Math.floor(random() * 80);
      for (let i = 0; i < count; i++) text += pick(PIECES);
      return encoder.encode(text);
    }
    case 2: { // a long line
      const length = 10_000 + Math.floor(random() * 50_000);
      return encoder.encode(
        `[s]\nkey = ${"x".repeat(length)}${
          pick(["", "$", "${a}", "\n  more"])
        }\n`,
      );
    }
    case 3: { // deep or looping interpolation
      const depth = Math.floor(random() * 30);
      let text = "[s]\n";
      for (let i = 0; i < depth; i++) {
        text += `k${i} = \${k${i + 1}}${pick(["", " and $$", "${k0}"])}\n`;
      }
      text += `k${depth} = ${pick(["end", "${k0}", "${s:k1}", "$"])}\n`;
      return encoder.encode(text);
    }
    default: { // many sections
      const count = Math.floor(random() * 1500);
      const parts: string[] = [];
      for (let i = 0; i < count; i++) {
        parts.push(`[section ${i}]\nkey = ${i}\n`);
      }
      if (random() < 0.3) {
        parts.push(`[section ${Math.floor(random() * (count + 1))}]\n`);
      }
      return encoder.encode(parts.join(""));
    }
  }
}

/** What fuzzing one document found: nothing, or a description of the problem. */
export function fuzzOne(bytes: Uint8Array): string | undefined {
  const started = performance.now();
  try {
    const parser = new ConfigParser();
    parser.readString(decodeConfig(bytes, "fuzz.conf"), "fuzz.conf");
    for (const section of ["DEFAULT", ...parser.sections()]) {
      for (const option of parser.options(section)) {
        try {
          parser.get(section, option);
        } catch (error) {
          if (!(error instanceof ConfigError)) {
            return `get threw ${describe(error)}`;
          }
          if (error.line < 1) {
            return `interpolation error without a line: ${error.message}`;
          }
        }
      }
    }
  } catch (error) {
    if (!(error instanceof ConfigError)) return `threw ${describe(error)}`;
    if (error.line < 1) return `parse error without a line: ${error.message}`;
  }
  const elapsed = performance.now() - started;
  if (elapsed > 1000) return `took ${elapsed.toFixed(0)} ms`;
  return undefined;
}

function describe(error: unknown): string {
  return error instanceof Error
    ? `${error.name}: ${error.message}`
    : String(error);
}
