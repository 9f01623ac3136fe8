import assert from "node:assert/strict";
import { SequenceWindow } from "../../src/cluster/_sequence_window.ts";

Deno.test("sequence window: each number once, in any order", () => {
  const window = new SequenceWindow();
  for (let i = 1; i <= 100; i++) assert.ok(window.accept(i));
  for (let i = 1; i <= 100; i++) assert.ok(!window.accept(i));
  // Gaps fill in later, once each.
  assert.ok(window.accept(105));
  assert.ok(window.accept(103));
  assert.ok(!window.accept(103));
  assert.ok(window.accept(101));
  assert.ok(!window.accept(105));
});

Deno.test("sequence window: slots reused after a wrap hold no stale marks", () => {
  const window = new SequenceWindow();
  const size = SequenceWindow.SIZE;
  assert.ok(window.accept(1));
  assert.ok(window.accept(2));
  // size + 2 shares 2's slot: it is new, and 2 is now too old.
  assert.ok(window.accept(size + 2));
  assert.ok(!window.accept(2));
  // size + 1 shares 1's slot, which was cleared when the window moved.
  assert.ok(window.accept(size + 1));
  // A jump beyond the window starts clean.
  assert.ok(window.accept(10 * size));
  assert.ok(window.accept(10 * size - 5));
  assert.ok(!window.accept(10 * size - 5));
});
