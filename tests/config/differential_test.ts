/**
 * Differential parity: fresh random documents, a new seed each run, judged
 * by CPython in a subprocess and by aio on the spot. A failure prints the
 * seed; replay it with `AIO_PARITY_SEED=N deno test -A tests/config/differential_test.ts`.
 * `AIO_PARITY_COUNT` changes how many documents (default 400).
 *
 * Without python3 the test says so and checks the committed golden
 * fixtures' random documents instead, so it never passes on nothing.
 */

import assert from "node:assert/strict";
import { compareAll, type OracleRecord } from "./_parity.ts";
import { isPySpace, optionxform } from "../../src/config/parser.ts";

const GENERATOR = new URL(
  "../fixtures/configparser/generate.py",
  import.meta.url,
);
const GOLDEN = new URL(
  "../fixtures/configparser/golden.json",
  import.meta.url,
);

async function pythonVersion(): Promise<string | undefined> {
  try {
    const { success, stdout, stderr } = await new Deno.Command("python3", {
      args: ["--version"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!success) return undefined;
    const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    return (decode(stdout) || decode(stderr)).trim();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** Runs generate.py with `args`; returns its stdout. */
async function generate(...args: string[]): Promise<string> {
  const { success, stdout, stderr } = await new Deno.Command("python3", {
    args: [decodeURIComponent(GENERATOR.pathname), ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(success ? stdout : stderr);
  assert.ok(success, `generate.py ${args.join(" ")} failed: ${text}`);
  return text;
}

Deno.test("differential parity with CPython on fresh random documents", async () => {
  const version = await pythonVersion();
  if (version === undefined) {
    console.warn(
      "python3 not found: checking the golden random documents instead of fresh ones",
    );
    const golden = JSON.parse(await Deno.readTextFile(GOLDEN));
    const records: OracleRecord[] = golden.documents.filter((
      doc: OracleRecord,
    ) => doc.name.startsWith("random_"));
    assert.ok(records.length >= 300);
    assert.deepEqual(compareAll(records).slice(0, 5), []);
    return;
  }
  assert.match(version, /^Python 3\.11\./, "the oracle is CPython 3.11");
  const seed = Number(Deno.env.get("AIO_PARITY_SEED") ?? randomSeed());
  const count = Number(Deno.env.get("AIO_PARITY_COUNT") ?? 400);
  const records: OracleRecord[] = JSON.parse(
    await generate("--seed", String(seed), "--count", String(count)),
  );
  assert.equal(records.length, count);
  const failures = compareAll(records);
  assert.deepEqual(
    failures.slice(0, 5),
    [],
    `${failures.length} of ${count} documents differ from CPython; replay with AIO_PARITY_SEED=${seed}`,
  );
});

function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

Deno.test("optionxform and the whitespace set match CPython on every code point", async (t) => {
  if (await pythonVersion() === undefined) {
    console.warn(
      "python3 not found: checking known differences from JavaScript instead",
    );
    // Unicode 16 made U+A7CB a capital; CPython 3.11 (Unicode 14) keeps it.
    assert.equal(optionxform("\ua7cb"), "\ua7cb");
    assert.ok(!isPySpace(0xfeff) && isPySpace(0x1c) && isPySpace(0x85));
    return;
  }
  const tables: { lower: Record<string, string>; space: number[] } = JSON
    .parse(await generate("--unicode"));
  const spaces = new Set(tables.space);
  const lowerDiffs: string[] = [];
  const spaceDiffs: string[] = [];
  for (let code = 0; code <= 0x10ffff; code++) {
    if (code >= 0xd800 && code <= 0xdfff) continue;
    const char = String.fromCodePoint(code);
    if (optionxform(char) !== (tables.lower[code] ?? char)) {
      lowerDiffs.push(code.toString(16));
    }
    // Astral code points reach isPySpace as surrogate halves, never spaces.
    if (code <= 0xffff && isPySpace(code) !== spaces.has(code)) {
      spaceDiffs.push(code.toString(16));
    }
  }
  assert.ok(tables.space.every((code) => code <= 0xffff));
  await t.step("str.lower()", () => assert.deepEqual(lowerDiffs, []));
  await t.step("str.isspace()", () => assert.deepEqual(spaceDiffs, []));
});
