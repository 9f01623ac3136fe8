// Memory over reloads (issue 15, "Memory"): a Deno isolate cannot unload a
// module, so every reload that re-imports a changed file keeps the old
// version's code in memory. This starts `aio run` on an app with an HTTP
// and a TCP server, reloads it N times by SIGHUP, quietly (no load), and
// reads the process's RSS and V8 heap after each reload, after a full GC
// (aio runs with --expose-gc; the aio-reloaded listener calls gc()):
//
// - "changed": each reload changes the module (a new version of its code);
// - "unchanged": each reload re-reads the config, the module kept as it is.
//
//   deno run -A bench/reload_memory.ts [reloads=100] [module_kb=4]
//
// Prints, for each mode, RSS and heap at the start and after the last
// reload and the growth per reload (least-squares slope).
import { CliProcess } from "../tests/e2e/_cli.ts";

const reloads = Number(Deno.args[0] ?? 100);
const moduleKb = Number(Deno.args[1] ?? 4);
const MOD = new URL("../mod.ts", import.meta.url).href;

/** The app's module, about `moduleKb` KB of code, at `version`. */
function appModule(version: number): string {
  // Real code is functions; pad with some, so a version weighs what a small
  // module of that size does.
  const functions: string[] = [];
  for (let i = 0; functions.join("\n").length < moduleKb * 1024; i++) {
    functions.push(
      `export function helper${i}(value: number): number {\n  const list = [value, ${i}, VERSION];\n  return list.reduce((sum, item) => sum + item * ${i}, 0);\n}`,
    );
  }
  return `import { app } from "${MOD}";
const VERSION = ${version};
export function handle(): Response {
  return new Response("v" + VERSION);
}
export class Answer {
  transport?: { write(data: string): void };
  connectionMade(transport: { write(data: string): void }) {
    this.transport = transport;
  }
  dataReceived() {
    this.transport!.write("v" + VERSION + "\\n");
  }
}
export function reloaded() {
  (globalThis as { gc?: () => void }).gc?.();
  const memory = Deno.memoryUsage();
  console.log(\`RELOADED \${app.lastReload!.seq} \${app.lastReload!.outcome} \${memory.rss} \${memory.heapUsed}\`);
}
export function started() {
  (globalThis as { gc?: () => void }).gc?.();
  const memory = Deno.memoryUsage();
  console.log(\`STARTED \${memory.rss} \${memory.heapUsed}\`);
}
${functions.join("\n")}
`;
}

const CONFIG = `[aio]
modules = ./app.ts
log_level = WARNING

[server/http]
handler = ./app.ts#handle
address = 127.0.0.1
port = 0

[server/tcp]
protocol = ./app.ts#Answer
address = 127.0.0.1
port = 0

[listen/marks]
aio-started = ./app.ts#started
aio-reloaded = ./app.ts#reloaded
`;

interface Sample {
  rss: number;
  heap: number;
}

async function run(mode: "changed" | "unchanged"): Promise<Sample[]> {
  const dir = await Deno.makeTempDir({ prefix: "aio_reload_memory_" });
  await Deno.writeTextFile(`${dir}/aio.conf`, CONFIG);
  await Deno.writeTextFile(`${dir}/app.ts`, appModule(0));
  const aio = new CliProcess(["run"], {
    cwd: dir,
    denoFlags: ["-A", "--v8-flags=--expose-gc"],
  });
  try {
    await aio.waitFor(/^STARTED \d+ \d+$/m);
    const [, rss, heap] = aio.stdout.match(/^STARTED (\d+) (\d+)$/m)!;
    const samples: Sample[] = [{ rss: Number(rss), heap: Number(heap) }];
    for (let seq = 1; seq <= reloads; seq++) {
      if (mode === "changed") {
        await Deno.writeTextFile(`${dir}/app.ts`, appModule(seq));
      } else {
        // A config change only: a comment, so the config is read anew.
        await Deno.writeTextFile(`${dir}/aio.conf`, `# ${seq}\n${CONFIG}`);
      }
      aio.kill("SIGHUP");
      const line = new RegExp(`^RELOADED ${seq} (\\w+) (\\d+) (\\d+)$`, "m");
      await aio.waitFor(line);
      const [, outcome, rss, heap] = aio.stdout.match(line)!;
      if (outcome !== "reloaded") throw new Error(`reload ${seq}: ${outcome}`);
      samples.push({ rss: Number(rss), heap: Number(heap) });
    }
    return samples;
  } finally {
    aio.kill("SIGTERM");
    await aio.done();
    await Deno.remove(dir, { recursive: true });
  }
}

/** The least-squares slope of `values` against their index. */
function slope(values: number[]): number {
  const n = values.length;
  const meanX = (n - 1) / 2;
  const meanY = values.reduce((sum, value) => sum + value, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (i - meanX) * (values[i] - meanY);
    den += (i - meanX) ** 2;
  }
  return num / den;
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const kb = (bytes: number) => (bytes / 1024).toFixed(1);
console.log(
  `${reloads} reloads, a module of about ${moduleKb} KB, after a full GC each time`,
);
for (const mode of ["changed", "unchanged"] as const) {
  const samples = await run(mode);
  const first = samples[0];
  const last = samples.at(-1)!;
  console.log(
    `${mode.padEnd(9)}  RSS ${mb(first.rss)} -> ${mb(last.rss)} MB, ${
      kb(slope(samples.map((sample) => sample.rss)))
    } KB per reload;  heap ${mb(first.heap)} -> ${mb(last.heap)} MB, ${
      kb(slope(samples.map((sample) => sample.heap)))
    } KB per reload`,
  );
}
