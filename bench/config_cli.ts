/**
 * Start-up cost of `aio config -g aio:log_level` against `deno run` of an
 * empty script, both run from the repository root, alternating so that
 * machine noise hits both alike. The target is a ratio of at most 1.5, for
 * a config that lists no modules (the repository's `aio.conf` without its
 * `[aio] modules`); the repository's own, which lists one, is timed too:
 * `aio config` imports the modules for their defaults.
 * On a busy machine the ratio of the minima is the steadier figure: load
 * only ever adds time.
 *
 * Usage: `deno run -A bench/config_cli.ts [RUNS]` (default 30 runs each).
 *
 * @module
 */

const root = new URL("..", import.meta.url).pathname;
const runs = Number(Deno.args[0] ?? 30);

const emptyDir = await Deno.makeTempDir({ prefix: "aio_bench_" });
const empty = `${emptyDir}/empty.ts`;
await Deno.writeTextFile(empty, "");

// The repository's config without its modules: what the target is about.
const noModules = `${emptyDir}/no_modules.conf`;
await Deno.writeTextFile(
  noModules,
  (await Deno.readTextFile(`${root}aio.conf`)).replace(/^modules = .*\n/m, ""),
);

const commands: Record<string, string[]> = {
  "deno run empty.ts": ["run", "-A", empty],
  "aio --version": ["run", "-A", "cli.ts", "--version"],
  "aio help run": ["run", "-A", "cli.ts", "help", "run"],
  "aio config -g aio:log_level": [
    "run",
    "-A",
    "cli.ts",
    "-c",
    noModules,
    "config",
    "-g",
    "aio:log_level",
  ],
  "aio config -g (with modules)": [
    "run",
    "-A",
    "cli.ts",
    "config",
    "-g",
    "aio:log_level",
  ],
};

async function timeOnce(args: string[]): Promise<number> {
  const started = performance.now();
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    stdout: "null",
    stderr: "piped",
  }).output();
  const elapsed = performance.now() - started;
  if (code !== 0) {
    throw new Error(
      `deno ${args.join(" ")} failed: ${new TextDecoder().decode(stderr)}`,
    );
  }
  return elapsed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? sorted[middle]
    : (sorted[middle - 1] + sorted[middle]) / 2;
}

try {
  const times: Record<string, number[]> = {};
  for (const name of Object.keys(commands)) {
    times[name] = [];
    await timeOnce(commands[name]); // warm the module cache
  }
  for (let run = 0; run < runs; run++) {
    for (const [name, args] of Object.entries(commands)) {
      times[name].push(await timeOnce(args));
    }
  }
  const base = median(times["deno run empty.ts"]);
  const baseMin = Math.min(...times["deno run empty.ts"]);
  console.log(`${runs} runs each, alternating, cwd ${root}`);
  for (const [name, values] of Object.entries(times)) {
    const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
    console.log(
      `${name.padEnd(30)} median ${median(values).toFixed(1)} ms  mean ${
        mean.toFixed(1)
      } ms  min ${Math.min(...values).toFixed(1)} ms  ratio ${
        (median(values) / base).toFixed(2)
      }x (of minima ${(Math.min(...values) / baseMin).toFixed(2)}x)`,
    );
  }
} finally {
  await Deno.remove(emptyDir, { recursive: true });
}
