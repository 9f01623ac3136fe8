/**
 * Names as NATS subject tokens and KV key tokens. Signal and schedule names
 * may hold anything (`order.created`, `a b`, `*`), while a token must not
 * contain `.` (the separator), whitespace or the wildcards `*` and `>`, and a
 * KV key allows only `[-/_=.A-Za-z0-9]`. So letters, digits, `-` and `_`
 * stay as they are, and every other UTF-8 byte becomes `=XX` (upper-case
 * hex), `=` included; the empty name is `=`. The mapping is one-to-one and
 * the result is both a legal subject token and a legal KV key token.
 *
 * @module
 */

const PLAIN = /^[A-Za-z0-9_-]+$/;
const PLAIN_BYTE = /[A-Za-z0-9_-]/;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Encodes `name` as one subject or key token.
 *
 * @example
 * ```ts
 * import { encodeToken } from "./_token.ts";
 * console.log(encodeToken("order.created")); // "order=2Ecreated"
 * ```
 */
export function encodeToken(name: string): string {
  if (PLAIN.test(name)) return name;
  if (name === "") return "=";
  let token = "";
  for (const byte of encoder.encode(name)) {
    const char = String.fromCharCode(byte);
    token += byte < 0x80 && PLAIN_BYTE.test(char)
      ? char
      : "=" + byte.toString(16).toUpperCase().padStart(2, "0");
  }
  return token;
}

/**
 * Decodes a token made by {@linkcode encodeToken}; `undefined` for a token
 * it cannot have made (a message published by hand on a wrong subject).
 */
export function decodeToken(token: string): string | undefined {
  if (PLAIN.test(token)) return token;
  if (token === "=") return "";
  const bytes: number[] = [];
  for (let i = 0; i < token.length; i++) {
    const char = token[i];
    if (char !== "=") {
      if (!PLAIN_BYTE.test(char)) return undefined;
      bytes.push(char.charCodeAt(0));
      continue;
    }
    const hex = token.slice(i + 1, i + 3);
    if (!/^[0-9A-F]{2}$/.test(hex)) return undefined;
    const byte = parseInt(hex, 16);
    // A byte that encodeToken would have kept as is: not its output.
    if (byte < 0x80 && PLAIN_BYTE.test(String.fromCharCode(byte))) {
      return undefined;
    }
    bytes.push(byte);
    i += 2;
  }
  try {
    return decoder.decode(new Uint8Array(bytes));
  } catch {
    return undefined;
  }
}
