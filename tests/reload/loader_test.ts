// The reload's module loader (src/refs.ts, ModuleLoader.successor): what
// did not change is kept (the same exports, not evaluated again); a changed
// file is imported anew under a fresh URL; a failed import is tried anew.
import { equal, ok, rejects } from "node:assert/strict";
import { ModuleLoader, RELOAD_QUERY, toFileUrl } from "../../src/refs.ts";

const at = {
  section: "aio",
  option: "modules",
  source: { file: "<string>", line: 1 },
};

/** A temp dir holding `files`; its `file:` URL with a trailing slash. */
async function dirWith(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "aio_loader_" });
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${dir}/${name}`, text);
  }
  return dir;
}

/** A module that counts its evaluations in a global, so a test sees each one. */
function counting(name: string, value: string): string {
  return `const counts = ((globalThis as Record<string, unknown>).evaluations ??= {}) as Record<string, number>;
counts[${JSON.stringify(name)}] = (counts[${JSON.stringify(name)}] ?? 0) + 1;
export const value = ${JSON.stringify(value)};
export const url = import.meta.url;
`;
}

function evaluations(name: string): number {
  const counts = (globalThis as Record<string, unknown>).evaluations as
    | Record<string, number>
    | undefined;
  return counts?.[name] ?? 0;
}

Deno.test("a successor keeps a file whose bytes did not change: the same exports, no second evaluation", async () => {
  const dir = await dirWith({ "same.ts": counting("same", "one") });
  try {
    const url = toFileUrl(`${dir}/same.ts`);
    const first = new ModuleLoader();
    const before = await first.import(url, at);
    const next = first.successor();
    const after = await next.import(url, at);
    equal(after, before);
    equal(evaluations("same"), 1);
    equal((await next.report()).get(url), "kept");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a changed file is imported anew under ?aio-reload=GENERATION (never one used before); the loader it came from keeps the old exports", async () => {
  const dir = await dirWith({ "changed.ts": counting("changed", "old") });
  try {
    const url = toFileUrl(`${dir}/changed.ts`);
    const first = new ModuleLoader();
    const old = await first.import(url, at);
    await Deno.writeTextFile(`${dir}/changed.ts`, counting("changed", "new"));
    const next = first.successor();
    const fresh = await next.import(url, at);
    equal(fresh.value, "new");
    equal(fresh.url, `${url}?${RELOAD_QUERY}=${next.generation}`);
    equal(old.value, "old");
    equal(await first.import(url, at), old);
    equal(evaluations("changed"), 2);
    equal((await next.report()).get(url), "reimported");
    // Unchanged since: the next reload keeps the new one.
    equal(await next.successor().import(url, at), fresh);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a module whose import failed is imported anew on the next reload, under a fresh URL", async () => {
  const dir = await dirWith({ "broken.ts": "export const value = ;\n" });
  try {
    const url = toFileUrl(`${dir}/broken.ts`);
    const first = new ModuleLoader();
    await rejects(first.import(url, at));
    await Deno.writeTextFile(`${dir}/broken.ts`, counting("fixed", "fixed"));
    const next = first.successor();
    const fixed = await next.import(url, at);
    equal(fixed.value, "fixed");
    equal(fixed.url, `${url}?${RELOAD_QUERY}=${next.generation}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a module new to the line of loaders is imported under its own URL; npm modules are kept", async () => {
  const dir = await dirWith({ "added.ts": counting("added", "added") });
  try {
    const first = new ModuleLoader();
    const croner = await first.import("npm:croner@^11.0.1", at);
    const next = first.successor();
    equal(await next.import("npm:croner@^11.0.1", at), croner);
    const url = toFileUrl(`${dir}/added.ts`);
    const added = await next.import(url, at);
    equal(added.url, url);
    const report = await next.report();
    equal(report.get(url), "imported");
    equal(report.get("npm:croner@^11.0.1"), "kept");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("aio's own module is never imported anew (a second copy would be a second app)", async () => {
  const own = new URL("../../mod.ts", import.meta.url).href;
  const first = new ModuleLoader();
  const before = await first.import(own, at);
  const after = await first.successor().import(own, at);
  equal(after, before);
});

Deno.test("a reference's errors name the module's own URL, not the fresh one", async () => {
  const dir = await dirWith({ "later.ts": counting("later", "x") });
  try {
    const url = toFileUrl(`${dir}/later.ts`);
    const first = new ModuleLoader();
    await first.import(url, at);
    await Deno.writeTextFile(`${dir}/later.ts`, "export const = 1;\n");
    const error = await first.successor().import(url, at).then(
      () => undefined,
      (error: Error) => error,
    );
    ok(error, "the broken file is an error");
    ok(error.message.includes(`'${url}'`), error.message);
    ok(!error.message.includes(RELOAD_QUERY), error.message);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
