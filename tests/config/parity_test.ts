/**
 * Golden parity: every document in tests/fixtures/configparser/golden.json
 * (hand-written edge cases and seeded random documents, with CPython 3.11's
 * verdicts written by generate.py) must come out of aio's ConfigParser
 * exactly as it came out of CPython. Needs no Python.
 */

import assert from "node:assert/strict";
import { compareAll, compareRecord, type OracleRecord } from "./_parity.ts";

const GOLDEN = new URL(
  "../fixtures/configparser/golden.json",
  import.meta.url,
);

interface Golden {
  seed: number;
  documents: OracleRecord[];
}

const golden: Golden = JSON.parse(await Deno.readTextFile(GOLDEN));
const handWritten = golden.documents.filter((doc) =>
  !doc.name.startsWith("random_")
);
const generated = golden.documents.filter((doc) =>
  doc.name.startsWith("random_")
);

Deno.test("golden fixtures cover every CPython error class and enough random documents", () => {
  const kinds = new Set<string>();
  for (const doc of golden.documents) {
    if (!doc.result.ok) kinds.add(doc.result.kind);
    else {
      for (const rows of Object.values(doc.result.options)) {
        for (const [, , value] of rows) {
          if ("error" in value) kinds.add(value.error);
        }
      }
    }
  }
  assert.deepEqual([...kinds].sort(), [
    "DuplicateOptionError",
    "DuplicateSectionError",
    "InterpolationDepthError",
    "InterpolationMissingOptionError",
    "InterpolationSyntaxError",
    "MissingSectionHeaderError",
    "ParsingError",
  ]);
  assert.ok(generated.length >= 300, `${generated.length} random documents`);
  assert.ok(handWritten.length >= 100, `${handWritten.length} hand-written`);
});

for (const doc of handWritten) {
  Deno.test(`cpython parity: ${doc.name}`, () => {
    assert.equal(compareRecord(doc), undefined);
  });
}

Deno.test(`cpython parity: ${generated.length} random documents (seed ${golden.seed})`, () => {
  const failures = compareAll(generated);
  assert.deepEqual(failures.slice(0, 5), [], `${failures.length} differ`);
});
