/**
 * Reading a config file from disk into text, with one clear error for each
 * way that can fail.
 *
 * @module
 */

import { ConfigError } from "./errors.ts";

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads `path` as a config document: UTF-8 (a leading BOM is dropped),
 * universal newlines as Python's `open()` gives them.
 * Throws {@linkcode ConfigError} (kind `ReadError`) when the file cannot be
 * read, is a directory, holds NUL bytes or is not UTF-8.
 */
export function readConfigFile(path: string): string {
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch (error) {
    throw new ConfigError(
      `Cannot read config file: ${describeReadError(error)}`,
      {
        source: path,
        kind: "ReadError",
        cause: error,
      },
    );
  }
  return decodeConfig(bytes, path);
}

/** Decodes config bytes; see {@linkcode readConfigFile}. */
export function decodeConfig(bytes: Uint8Array, path: string): string {
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw new ConfigError(`Not a text file: NUL byte at offset ${nul}`, {
      source: path,
      line: lineAt(bytes, nul),
      kind: "ReadError",
    });
  }
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    const offset = firstInvalidUtf8(bytes);
    throw new ConfigError(`Not UTF-8 text: invalid byte at offset ${offset}`, {
      source: path,
      line: lineAt(bytes, offset),
      kind: "ReadError",
    });
  }
  if (text.startsWith("\ufeff")) text = text.slice(1);
  return text.replace(/\r\n?/g, "\n");
}

/** A short reason for a failed read. */
export function describeReadError(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "no such file";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.IsADirectory) return "is a directory";
  if (error instanceof Error && /directory/i.test(error.message)) {
    return "is a directory";
  }
  return error instanceof Error ? error.message : String(error);
}

function lineAt(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 10) line++;
  return line;
}

/** The offset of the first byte that starts no valid UTF-8 sequence (one linear scan). */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const byte = bytes[i];
    if (byte < 0x80) {
      i++;
      continue;
    }
    // The allowed range of the second byte rules out overlong forms,
    // surrogates and code points past U+10FFFF (RFC 3629, table 3-7).
    let size: number;
    let low = 0x80;
    let high = 0xbf;
    if (byte >= 0xc2 && byte <= 0xdf) size = 2;
    else if (byte >= 0xe0 && byte <= 0xef) {
      size = 3;
      if (byte === 0xe0) low = 0xa0;
      if (byte === 0xed) high = 0x9f;
    } else if (byte >= 0xf0 && byte <= 0xf4) {
      size = 4;
      if (byte === 0xf0) low = 0x90;
      if (byte === 0xf4) high = 0x8f;
    } else return i;
    if (i + size > bytes.length) return i;
    const second = bytes[i + 1];
    if (second < low || second > high) return i;
    for (let k = 2; k < size; k++) {
      if ((bytes[i + k] & 0xc0) !== 0x80) return i;
    }
    i += size;
  }
  return i;
}
