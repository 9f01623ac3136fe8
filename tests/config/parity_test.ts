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

Deno.test("the comparison reports a difference in any part of the verdict", () => {
  const doc = handWritten.find((doc) => doc.name === "interp_nested")!;
  assert.equal(compareRecord(doc), undefined);
  const mutations: ((result: Record<string, unknown>) => void)[] = [
    (result) => (result.sections as string[]).push("b"),
    (result) => {
      const rows = (result.options as Record<string, unknown[][]>).a;
      rows[1][2] = { value: "different" };
    },
    (result) => {
      const rows = (result.options as Record<string, unknown[][]>).a;
      rows[0][1] = "raw";
    },
    (result) => (result.options as Record<string, unknown[][]>).a.reverse(),
  ];
  for (const mutate of mutations) {
    const copy = structuredClone(doc);
    mutate(copy.result as unknown as Record<string, unknown>);
    assert.match(compareRecord(copy) ?? "", /^interp_nested: /);
  }
  const error = structuredClone(
    handWritten.find((doc) => doc.name === "parsing_error")!,
  );
  assert.equal(compareRecord(error), undefined);
  (error.result as { line: number }).line++;
  assert.match(compareRecord(error) ?? "", /"line":3/);
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
