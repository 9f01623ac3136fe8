/**
 * Shared by the parity tests: the shape of a CPython oracle record (written
 * by tests/fixtures/configparser/generate.py) and the comparison of one
 * record against aio's {@linkcode ConfigParser}.
 *
 * @module
 */

import { ConfigError } from "../../src/config/errors.ts";
import { ConfigParser } from "../../src/config/config_parser.ts";

/** What `parser.get` gave for one option: a value or an error class name. */
export type Interpolated = { value: string } | { error: string };

/** CPython's verdict on one document. */
export type OracleResult =
  | { ok: false; kind: string; line: number }
  | {
    ok: true;
    sections: string[];
    /** DEFAULT first, then each section: `[name, raw, interpolated]` in CPython's order. */
    options: Record<string, [string, string, Interpolated][]>;
  };

/**
 * One document (or several, read one after another into one parser) and
 * CPython's verdict on it.
 */
export interface OracleRecord {
  name: string;
  text?: string;
  texts?: string[];
  result: OracleResult;
}

/** What aio makes of `texts`, read in order into one parser, in the oracle's shape. */
export function runAio(texts: readonly string[]): OracleResult {
  // No environment: CPython has no `${env:NAME}`, so every such reference
  // must fail the way a missing option does.
  const parser = new ConfigParser({ env: () => undefined });
  try {
    for (const text of texts) parser.readString(text, "<doc>");
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { ok: false, kind: error.kind, line: error.line };
  }
  const entries = (section: string, names: string[]) =>
    names.map((name): [string, string, Interpolated] => {
      const raw = parser.get(section, name, { raw: true });
      try {
        return [name, raw, { value: parser.get(section, name) }];
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        return [name, raw, { error: error.kind }];
      }
    });
  // fromEntries, not assignment, so a section called `__proto__` is an own
  // property, as JSON.parse makes it in the oracle's record.
  const options = Object.fromEntries([
    ["DEFAULT", entries("DEFAULT", Object.keys(parser.defaults()))],
    ...parser.sections().map((section) => [
      section,
      entries(section, parser.options(section)),
    ]),
  ]);
  return { ok: true, sections: parser.sections(), options };
}

/**
 * Compares aio with CPython on one record; returns a one-line description
 * of the first difference, or undefined when they agree.
 */
export function compareRecord(record: OracleRecord): string | undefined {
  const texts = record.texts ?? [record.text ?? ""];
  let actual: OracleResult;
  try {
    actual = runAio(texts);
  } catch (error) {
    return `${record.name}: aio threw ${error} on ${JSON.stringify(texts)}`;
  }
  const expected = record.result;
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a === e) return undefined;
  return `${record.name}: text ${
    JSON.stringify(texts)
  }\n  cpython ${e}\n  aio     ${a}`;
}

/** Compares every record; returns the differences (empty when all agree). */
export function compareAll(records: readonly OracleRecord[]): string[] {
  const failures: string[] = [];
  for (const record of records) {
    const failure = compareRecord(record);
    if (failure) failures.push(failure);
  }
  return failures;
}
