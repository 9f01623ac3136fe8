import { equal } from "node:assert/strict";
import { VERSION } from "../mod.ts";

Deno.test("VERSION is deno.json's version", async () => {
  const manifest = JSON.parse(
    await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
  );
  equal(VERSION, manifest.version);
});
