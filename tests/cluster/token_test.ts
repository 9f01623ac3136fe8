import assert from "node:assert/strict";
import { encodeToken } from "../../src/cluster/_token.ts";

/** Undoes encodeToken: proof that the mapping is one-to-one. */
function decode(token: string): string {
  if (token === "=") return "";
  const bytes: number[] = [];
  for (let i = 0; i < token.length; i++) {
    if (token[i] === "=") {
      bytes.push(parseInt(token.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(token.charCodeAt(i));
  }
  return new TextDecoder("utf-8", { fatal: true }).decode(
    new Uint8Array(bytes),
  );
}

const NAMES = [
  "order-created",
  "order.created",
  "a b",
  "*",
  ">",
  "a.*.>",
  "",
  "=",
  "=41",
  "tab\there",
  "üñí€ode",
  "emoji 🎉",
  "line\nbreak",
  "slash/and\\back",
  "UPPER_lower-09",
];

Deno.test("token: every name round-trips", () => {
  for (const name of NAMES) {
    assert.equal(decode(encodeToken(name)), name, JSON.stringify(name));
  }
});

Deno.test("token: a token is a legal subject token and KV key token", () => {
  for (const name of NAMES) {
    const token = encodeToken(name);
    // KV keys allow [-/_=.A-Za-z0-9]; a subject token also excludes the dot,
    // whitespace and the wildcards.
    assert.match(token, /^[-_=A-Za-z0-9]+$/, JSON.stringify(name));
  }
});

Deno.test("token: names are kept readable and distinct", () => {
  assert.equal(encodeToken("order-created"), "order-created");
  assert.equal(encodeToken("order.created"), "order=2Ecreated");
  assert.equal(encodeToken("="), "=3D");
  assert.equal(encodeToken(""), "=");
  const tokens = new Set(NAMES.map(encodeToken));
  assert.equal(tokens.size, NAMES.length);
});
