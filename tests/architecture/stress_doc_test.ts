// STRESS.md describes the stress task that stress/mod.ts runs: its intro
// counts the parts mod.ts runs, its table has one row per part module
// (titled with the module's NAME, run through its own file), and its sizes
// line lists every size option mod.ts takes, with its full-run value. A part added to mod.ts without
// its row (or a row for a part that is gone) fails here.
import { deepEqual, equal, ok } from "node:assert/strict";

const root = new URL("../../", import.meta.url);
const read = (path: string) => Deno.readTextFileSync(new URL(path, root));

/** The part modules mod.ts imports, in its order: file and NAME. */
function partsOfMod(): { file: string; name: string }[] {
  const mod = read("stress/mod.ts");
  const files = [
    ...mod.matchAll(/import \{[^}]*\bNAME as \w+[^}]*\} from "\.\/(\w+\.ts)"/g),
  ].map((match) => match[1]);
  return files.map((file) => {
    const name = /export const NAME =\s*"([^"]+)";/.exec(
      read(`stress/${file}`),
    )?.[1];
    ok(name, `stress/${file} has no NAME`);
    return { file, name };
  });
}

/** The rows of STRESS.md's table of parts: title and the file its command runs. */
function rowsOfDoc(doc: string): { file: string; name: string }[] {
  return [
    ...doc.matchAll(
      /^\| (\d+[ab]?\. [^|]*?) +\| `deno run -A stress\/(\w+\.ts)[^`]*` +\|$/gm,
    ),
  ].map((match) => ({ file: match[2], name: match[1] }));
}

const byName = (a: { name: string }, b: { name: string }) =>
  parseFloat(a.name) - parseFloat(b.name) || a.name.localeCompare(b.name);

Deno.test("STRESS.md's table has one row per part of stress/mod.ts, titled with its NAME", () => {
  const parts = partsOfMod();
  ok(parts.length >= 10, `only ${parts.length} parts found in stress/mod.ts`);
  deepEqual(rowsOfDoc(read("STRESS.md")).sort(byName), parts.sort(byName));
});

Deno.test("STRESS.md's intro counts the parts stress/mod.ts runs", () => {
  const numbers = new Set(partsOfMod().map(({ name }) => parseInt(name)));
  const stated = /It runs\s+the (\d+) parts/.exec(read("STRESS.md"))?.[1];
  equal(Number(stated), numbers.size);
});

Deno.test("STRESS.md's sizes line lists every size option of stress/mod.ts, with its full-run value", () => {
  const mod = read("stress/mod.ts");
  const block = /options: \{([\s\S]*?)\n {2}\},/.exec(mod)![1];
  const options = [...block.matchAll(/^\s+"?([a-z-]+)"?: \{ type: "string"/gm)]
    .map((match) => match[1])
    .filter((name) => !["only", "seed", "json"].includes(name));
  const full = new Map(
    [...mod.matchAll(/size\(\s*"([a-z-]+)",\s*(\d+),/g)].map((match) => [
      match[1],
      match[2],
    ]),
  );
  const sizes = /^# sizes: (.*)$/m.exec(read("STRESS.md"))![1];
  deepEqual(
    [...sizes.matchAll(/--([a-z-]+) (\d+)/g)].map((m) => `--${m[1]} ${m[2]}`),
    options.map((name) => `--${name} ${full.get(name)}`),
  );
});
