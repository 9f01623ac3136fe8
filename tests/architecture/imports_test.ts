// The shape of aio's own code: nothing under src/ imports the public face
// (mod.ts), and the modules under src/ import each other without cycles,
// type-only imports included (a cycle of types is still a knot to untie).
import { deepEqual as assertEquals } from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";

const ROOT = resolve(dirname(fromFileUrl(import.meta.url)), "../..");
const SRC = join(ROOT, "src");
const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

async function sourceFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) files.push(...await sourceFiles(path));
    else if (entry.name.endsWith(".ts")) files.push(path);
  }
  return files.sort();
}

/** Each src/ file's imports of local files, as absolute paths (comments and doc examples skipped). */
async function importGraph(): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  for (const file of await sourceFiles(SRC)) {
    const text = (await Deno.readTextFile(file))
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .replace(/^\s*\/\/.*$/gm, "");
    const targets: string[] = [];
    for (const match of text.matchAll(IMPORT)) {
      const specifier = match[1] ?? match[2];
      if (specifier.startsWith(".")) {
        targets.push(resolve(dirname(file), specifier));
      }
    }
    graph.set(file, targets);
  }
  return graph;
}

function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, "active" | "done">();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, "active");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === "active") {
        cycles.push(stack.slice(stack.indexOf(next)).concat(next));
      } else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

Deno.test("no file under src/ imports mod.ts", async () => {
  const modTs = join(ROOT, "mod.ts");
  const offenders = [...(await importGraph())]
    .filter(([, targets]) => targets.includes(modTs))
    .map(([file]) => relative(ROOT, file));
  assertEquals(offenders, []);
});

Deno.test("the files under src/ import each other without cycles", async () => {
  const cycles = findCycles(await importGraph()).map((cycle) =>
    cycle.map((file) => relative(ROOT, file)).join(" -> ")
  );
  assertEquals(cycles, []);
});
