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
