// Start-up is a feature: what `aio help`, `aio config` and `aio --version`
// evaluate before they run is cli.ts's static import graph, and it must not
// reach the app, logging (LogTape), the scheduler (croner), the servers or
// Deno's Node layer. The commands that need those import them when they run.
import { deepEqual } from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);
const STATIC_IMPORT =
  /(?:^|\n)\s*(?:import|export)\s(?!type\b)[^;]*?\sfrom\s+["']([^"']+)["']|(?:^|\n)\s*import\s+["']([^"']+)["']/g;

/** The files and packages `entry` imports statically, transitively (type-only imports skipped). */
async function staticGraph(entry: URL): Promise<Set<string>> {
  const seen = new Set<string>();
  const visit = async (url: URL) => {
    if (seen.has(url.href)) return;
    seen.add(url.href);
    const text = (await Deno.readTextFile(url))
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .replace(/^\s*\/\/.*$/gm, "");
    for (const match of text.matchAll(STATIC_IMPORT)) {
      const specifier = match[1] ?? match[2];
      if (specifier.startsWith(".")) await visit(new URL(specifier, url));
      else seen.add(specifier);
    }
  };
  await visit(entry);
  return seen;
}

Deno.test("cli.ts evaluates no heavy module before a command asks for it", async () => {
  const graph = await staticGraph(new URL("cli.ts", ROOT));
  const heavy = [...graph].filter((item) =>
    !item.startsWith(ROOT.href) ||
    /\/src\/(app|logging|schedule|signals|prepare|server\/\w+)\.ts$/.test(item)
  ).map((item) => item.replace(ROOT.href, ""));
  deepEqual(heavy, []);
});

Deno.test("aio config's module imports only the config engine", async () => {
  const graph = await staticGraph(new URL("src/commands/config.ts", ROOT));
  const outside = [...graph].map((item) => item.replace(ROOT.href, ""))
    .filter((item) =>
      !/^src\/(config\/|commands\/(config|types|_args|specs|names)\.ts|errors\.ts|suggest\.ts)/
        .test(item)
    );
  deepEqual(outside, []);
});

Deno.test("an app without [aio/cluster] loads none of the cluster layer, nor the NATS client", async () => {
  // The app reaches the cluster layer by dynamic imports only, when the
  // config has the section; the section's name is all it holds statically.
  for (const entry of ["src/app.ts", "src/prepare.ts", "src/commands/run.ts"]) {
    const graph = await staticGraph(new URL(entry, ROOT));
    const cluster = [...graph].map((item) => item.replace(ROOT.href, ""))
      .filter((item) =>
        (item.startsWith("src/cluster/") &&
          item !== "src/cluster/section.ts") ||
        item.startsWith("@nats-io/")
      );
    deepEqual(cluster, [], entry);
  }
  // And the cluster layer itself imports the NATS client only dynamically.
  const layer = await staticGraph(new URL("src/cluster/mod.ts", ROOT));
  deepEqual([...layer].filter((item) => item.startsWith("@nats-io/")), []);
});
