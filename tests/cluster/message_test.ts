import assert from "node:assert/strict";
import { messageFromJson, messageToJson } from "../../src/cluster/message.ts";

Deno.test("message: JSON values go and come back equal", () => {
  const values = [
    null,
    true,
    0,
    -1.5,
    "text",
    "",
    [],
    {},
    [1, "a", null, [true]],
    { id: 7, nested: { list: [{ x: 1 }] }, "odd key": "v" },
    Object.assign(Object.create(null), { bare: 1 }),
  ];
  for (const value of values) {
    const json = messageToJson(value);
    assert.equal(typeof json, "string");
    assert.deepEqual(messageFromJson(json!), JSON.parse(JSON.stringify(value)));
  }
});

Deno.test("message: no message travels as an empty body", () => {
  assert.equal(messageToJson(undefined), undefined);
  assert.equal(messageFromJson(""), undefined);
});

Deno.test("message: an undefined property is left out, as JSON does", () => {
  assert.equal(messageToJson({ a: 1, b: undefined }), '{"a":1}');
});

Deno.test("message: what is not a JSON value is refused, naming where", () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const deep: Record<string, unknown> = { list: [{}] };
  (deep.list as Record<string, unknown>[])[0].back = deep.list;
  class Order {
    id = 1;
  }
  const cases: [unknown, RegExp][] = [
    [() => 1, /^message is a function, not a JSON value$/],
    [Symbol("s"), /^message is a symbol/],
    [10n, /^message is a bigint/],
    [NaN, /^message is NaN, not a JSON value \(JSON has no NaN or Infinity\)$/],
    [{ n: Infinity }, /^message\.n is Infinity/],
    [
      [1, undefined],
      /^message\[1\] is undefined, not a JSON value \(use null\)$/,
    ],
    [[1, , 3], /^message\[1\] is undefined/],
    [{ at: new Date(0) }, /^message\.at is a Date, not a JSON value/],
    [{ "a key": new Map() }, /^message\["a key"\] is a Map/],
    [new Uint8Array(2), /^message is a Uint8Array/],
    [new Order(), /^message is a Order/],
    [{ f: { g: [() => 0] } }, /^message\.f\.g\[0\] is a function/],
    [
      cyclic,
      /^message\.self refers back to message: a cycle is not a JSON value$/,
    ],
    [deep, /^message\.list\[0\]\.back refers back to/],
  ];
  for (const [value, expected] of cases) {
    assert.throws(() => messageToJson(value), (error: unknown) => {
      assert.ok(error instanceof TypeError);
      assert.match(error.message, expected);
      return true;
    });
  }
});

Deno.test("message: a value shared twice (not a cycle) is fine", () => {
  const shared = { x: 1 };
  assert.equal(
    messageToJson({ a: shared, b: [shared] }),
    '{"a":{"x":1},"b":[{"x":1}]}',
  );
});

Deno.test("message: a body that is not JSON throws a SyntaxError", () => {
  assert.throws(() => messageFromJson("{nope"), SyntaxError);
});
