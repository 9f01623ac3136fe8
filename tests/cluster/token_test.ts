import assert from "node:assert/strict";
import { decodeToken, encodeToken } from "../../src/cluster/_token.ts";

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
    assert.equal(decodeToken(encodeToken(name)), name, JSON.stringify(name));
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

Deno.test("token: a token encodeToken cannot make decodes to undefined", () => {
  for (const token of ["a.b", "=4", "=zz", "=41", "a b", "=FF", "*"]) {
    assert.equal(decodeToken(token), undefined, token);
  }
});
