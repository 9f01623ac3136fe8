// The public API's documentation: every function, class and constant that
// mod.ts and testing.ts export carries a titled @example (the examples are
// type-checked in CI by `deno check --doc`).
import { deepEqual } from "node:assert/strict";

interface DocTag {
  kind: string;
  doc?: string;
}
interface DocDeclaration {
  kind: string;
  jsDoc?: { tags?: DocTag[] };
}
interface DocSymbol {
  name: string;
  declarations: DocDeclaration[];
}

const CALLED = new Set(["function", "class", "variable"]);

Deno.test("every function, class and constant of the public API has a titled example", async () => {
  const root = new URL("../../", import.meta.url);
  const { stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", "mod.ts", "testing.ts"],
    cwd: root,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const doc = JSON.parse(new TextDecoder().decode(stdout)) as {
    nodes: Record<string, { symbols?: DocSymbol[] }>;
  };
  const missing: string[] = [];
  for (const [module, info] of Object.entries(doc.nodes)) {
    for (const symbol of info.symbols ?? []) {
      for (const declaration of symbol.declarations) {
        if (!CALLED.has(declaration.kind)) continue;
        const titled = (declaration.jsDoc?.tags ?? []).some((tag) =>
          tag.kind === "example" && /^\s*[^`\s]/.test(tag.doc ?? "")
        );
        if (!titled) missing.push(`${module.split("/").pop()}: ${symbol.name}`);
      }
    }
  }
  deepEqual(missing, []);
});
