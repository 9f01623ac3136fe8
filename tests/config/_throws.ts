// Asserting the ConfigError a call throws: its CPython kind, file and line.
import assert from "node:assert/strict";
import { ConfigError, type ConfigErrorKind } from "../../src/config/errors.ts";

/** Calls `fn`, asserts it throws a ConfigError of `kind` (at `where`: a line, or a source and line), returns it. */
export function throwsKind(
  fn: () => unknown,
  kind: ConfigErrorKind,
  where?: number | { source?: string; line?: number },
): ConfigError {
  const expected = typeof where === "number" ? { line: where } : where;
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ConfigError, `expected ${kind}, got ${caught}`);
  assert.equal(caught.kind, kind, caught.message);
  if (expected?.source !== undefined) {
    assert.equal(caught.source, expected.source);
  }
  if (expected?.line !== undefined) {
    assert.equal(caught.line, expected.line, caught.message);
  }
  return caught;
}
