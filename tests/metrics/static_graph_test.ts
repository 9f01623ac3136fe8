// Without [aio/health] no metrics code runs, and without NOTIFY_SOCKET no
// systemd code loads: the app and `aio run` import both only on demand, so
// nothing of them is in their static import graphs.
import { deepEqual } from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);
const STATIC_IMPORT =
  /(?:^|\n)\s*(?:import|export)\s(?!type\b)[^;]*?\sfrom\s+["']([^"']+)["']|(?:^|\n)\s*import\s+["']([^"']+)["']/g;

/** The files `entry` imports statically, transitively (type-only imports skipped). */
async function staticGraph(entry: URL): Promise<string[]> {
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
    }
  };
  await visit(entry);
  return [...seen].map((href) => href.replace(ROOT.href, ""));
}

for (const entry of ["src/app.ts", "src/commands/run.ts", "mod.ts"]) {
  Deno.test(`${entry} loads no metrics, health server or systemd code until asked`, async () => {
    const graph = await staticGraph(new URL(entry, ROOT));
    deepEqual(
      graph.filter((file) =>
        /^src\/(metrics|systemd)\//.test(file) ||
        /^src\/health\/(server|app_health|mod)\.ts$/.test(file)
      ),
      [],
    );
    // The walk does reach into src/.
    deepEqual(graph.includes("src/logging.ts"), true);
  });
}
