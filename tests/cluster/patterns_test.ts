import assert from "node:assert/strict";
import { compilePatterns, patternProblem } from "../../src/cluster/patterns.ts";

Deno.test("patterns: globs as fnmatchcase reads them", () => {
  const cases: [string, string, boolean][] = [
    ["order-*", "order-created", true],
    ["order-*", "order-", true],
    ["order-*", "orders", false],
    ["order-*", "Order-created", false],
    ["*", "anything at.all", true],
    ["a?c", "abc", true],
    ["a?c", "ac", false],
    ["a?c", "a🎉c", true],
    ["stock.[!x]", "stock.y", true],
    ["stock.[!x]", "stock.x", false],
    ["stock.[a-c]", "stock.b", true],
    ["stock.[a-c]", "stock.d", false],
    ["[]]", "]", true],
    ["[!]]", "a", true],
    ["[!]]", "]", false],
    ["a.b", "a.b", true],
    ["a.b", "axb", false],
    ["(x)|y", "(x)|y", true],
    ["(x)|y", "y", false],
    ["a\\b", "a\\b", true],
    ["[\\]", "\\", true],
    ["*.done", "line\nbreak.done", true],
    ["a^$+{}", "a^$+{}", true],
  ];
  for (const [pattern, signal, expected] of cases) {
    assert.equal(
      compilePatterns([pattern])(signal),
      expected,
      `${pattern} ~ ${JSON.stringify(signal)}`,
    );
  }
});

Deno.test("patterns: several patterns match any of them; none matches nothing", () => {
  const matches = compilePatterns(["order-*", "stock-*"]);
  assert.ok(matches("order-1"));
  assert.ok(matches("stock-1"));
  assert.ok(!matches("user-1"));
  assert.ok(!compilePatterns([])("order-1"));
});

Deno.test("patterns: problems are named", () => {
  assert.equal(patternProblem("order-*"), undefined);
  assert.equal(patternProblem("[[]"), undefined);
  assert.equal(
    patternProblem("stock-["),
    'unclosed [ in "stock-[" (write [[] for a literal [)',
  );
  assert.equal(patternProblem("[z-a]"), '"[z-a]" has a bad character range');
  assert.throws(() => compilePatterns(["a", "[z-a]"]), SyntaxError);
});
