// aio's own module tests: `aio test` finds this file beside mod.ts.
import { equal, ok } from "node:assert/strict";
import { app, ConfigParser, Signals, VERSION } from "./mod.ts";

Deno.test("aio's public API is importable", () => {
  ok(VERSION.length > 0);
  ok(typeof app === "object");
  equal(
    new ConfigParser().readString("[a]\nb = ${c}\nc = 1\n").get("a", "b"),
    "1",
  );
});

Deno.test("signals emit to their listeners", async () => {
  const signals = new Signals();
  signals.listen("x", (_signal, message) => message);
  equal((await signals.emit("x", 7))[0], 7);
});
