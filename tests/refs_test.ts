// References: SPECIFIER#EXPORT in every form SPEC 2 names.
import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { ConfigError } from "../mod.ts";
import {
  isClass,
  ModuleLoader,
  parseRef,
  resolveSpecifier,
  toFileUrl,
} from "../src/refs.ts";

const fixtures = new URL("./fixtures/app/", import.meta.url);
const source = { file: new URL("app.conf", fixtures).pathname, line: 7 };
const at = { section: "listen/x", option: "ping", source };
const loader = new ModuleLoader();
const loadRef = loader.load.bind(loader);
const importModule = loader.import.bind(loader);

Deno.test("parseRef splits the specifier from a dotted export; no # means default", () => {
  deepEqual(parseRef("./app.ts#handlers.add"), {
    specifier: "./app.ts",
    exportPath: ["handlers", "add"],
  });
  deepEqual(parseRef("./app.ts"), {
    specifier: "./app.ts",
    exportPath: ["default"],
  });
  deepEqual(parseRef("npm:croner@11#Cron"), {
    specifier: "npm:croner@11",
    exportPath: ["Cron"],
  });
});

Deno.test("relative paths resolve against the file that holds the line", async () => {
  equal(
    resolveSpecifier("./recorder.ts", source.file),
    new URL("recorder.ts", fixtures).href,
  );
  equal(
    resolveSpecifier("../e2e/_cli.ts", source.file),
    new URL("../e2e/_cli.ts", fixtures).href,
  );
  equal(resolveSpecifier("/abs/x.ts", source.file), "file:///abs/x.ts");
  equal(
    resolveSpecifier("./x.ts", "<string>"),
    new URL("x.ts", toFileUrl(Deno.cwd()) + "/").href,
  );
  for (
    const passThrough of [
      "jsr:@std/x",
      "npm:croner",
      "https://example.com/x.ts",
      "not-in-any-import-map",
    ]
  ) {
    equal(resolveSpecifier(passThrough, source.file), passThrough);
  }
  // A bare specifier is what the nearest deno.json's import map makes of it.
  const denoJson = JSON.parse(
    await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
  );
  equal(resolveSpecifier("croner", source.file), denoJson.imports.croner);
});

Deno.test("loadRef loads named, dotted and default exports", async () => {
  await Deno.writeTextFile(
    new URL("_refs_target.ts", fixtures),
    "export const handlers = { add: (a: number, b: number) => a + b };\nexport default function main() { return 'main'; }\n",
  );
  try {
    const add = await loadRef(
      "./_refs_target.ts#handlers.add",
      at,
      "function",
    ) as (a: number, b: number) => number;
    equal(add(2, 3), 5);
    const main = await loadRef("./_refs_target.ts", at, "function") as () =>
      string;
    equal(main(), "main");
  } finally {
    await Deno.remove(new URL("_refs_target.ts", fixtures));
  }
});

Deno.test("npm: and import-map specifiers load", async () => {
  const viaNpm = await loadRef("npm:croner@^11.0.1#Cron", at, "class");
  const viaMap = await loadRef("croner#Cron", at, "class");
  ok(isClass(viaNpm));
  equal(viaNpm, viaMap);
});

Deno.test("a module is imported once however many references name it", async () => {
  const url = new URL("recorder.ts", fixtures).href;
  equal(await importModule(url), await importModule(url));
});

Deno.test("errors name section, option, file and line, and list the exports", async () => {
  await rejects(
    loadRef("./recorder.ts#nope", at, "function"),
    (error: unknown) => {
      ok(error instanceof ConfigError);
      equal(error.line, 7);
      equal(error.source, source.file);
      ok(
        error.message.includes(
          "[listen/x] ping: Module './recorder.ts' has no export 'nope' (it has: ",
        ),
      );
      ok(error.message.includes("listener"));
      return true;
    },
  );
  await rejects(
    loadRef("./recorder.ts#notAFunction", at, "function"),
    /must name a function, not a number/,
  );
  await rejects(
    loadRef("./recorder.ts#notAFunction", at, "class"),
    /must name a class, not a number/,
  );
  await rejects(
    loadRef("./missing.ts#x", at),
    /\[listen\/x\] ping: Cannot load module/,
  );
  await rejects(loadRef("#x", at), /names no module/);
});

Deno.test("a reference names an export, never code: odd export names are just missing exports", async () => {
  for (
    const name of [
      "constructor",
      "__proto__",
      "toString",
      "listener;Deno.exit(3)",
      "listener()",
    ]
  ) {
    await rejects(
      loadRef(`./recorder.ts#${name}`, at, "function"),
      ConfigError,
      name,
    );
  }
});

Deno.test("isClass tells classes and plain functions from arrows and async functions", () => {
  ok(isClass(class {}));
  ok(isClass(function Old() {}));
  ok(!isClass(() => {}));
  ok(!isClass(async function () {}));
  throws(() => {
    throw new ConfigError("x", { source: "s" });
  }, ConfigError);
});

Deno.test("a reference cannot run code written in the config: data: and blob: are refused", async () => {
  for (
    const ref of [
      "data:text/javascript,globalThis.pwned=1#x",
      "blob:x#y",
      "node:process#exit",
    ]
  ) {
    await rejects(loadRef(ref, at, "any"), (error: unknown) => {
      ok(error instanceof ConfigError);
      ok(error.message.includes("is not allowed"), error.message);
      return true;
    });
  }
  equal((globalThis as Record<string, unknown>).pwned, undefined);
});

Deno.test("a dotted reference reaches own properties only", async () => {
  for (
    const ref of [
      "./recorder.ts#listener.constructor",
      "./recorder.ts#listener.call",
      "./recorder.ts#calls.push",
    ]
  ) {
    await rejects(loadRef(ref, at, "any"), /has no export/);
  }
});
