// `aio run` of an app with 10 modules, to `aio-started`, against `deno run`
// of a script that imports the same 10 modules (issue "runner": within 2x).
//
//   deno run -A bench/startup.ts [trials=15]
//
// Both are timed from spawn to a marker line on stdout, alternating, in the
// same run; the report gives medians and the ratio.
const trials = Number(Deno.args[0] ?? 15);
const cli = new URL("../cli.ts", import.meta.url).pathname;
const dir = await Deno.makeTempDir({ prefix: "aio_startup_" });
const modules: string[] = [];
for (let i = 0; i < 10; i++) {
  const path = `${dir}/module_${i}.ts`;
  await Deno.writeTextFile(
    path,
    `export const value${i} = ${i};\nexport function f${i}() { return ${i}; }\n`,
  );
  modules.push(path);
}
await Deno.writeTextFile(
  `${dir}/ready.ts`,
  `export function ready() { console.log("READY"); Deno.exit(0); }\n`,
);
await Deno.writeTextFile(
  `${dir}/aio.conf`,
  `[aio]\nlog_level = WARNING\nmodules = ${
    modules.join("\n  ")
  }\n[listen/bench]\naio-started = ./ready.ts#ready\n`,
);
await Deno.writeTextFile(
  `${dir}/plain.ts`,
  `${
    modules.map((m, i) => `import * as m${i} from ${JSON.stringify(m)};`).join(
      "\n",
    )
  }\n` +
    `if ([${
      modules.map((_, i) => `m${i}`).join(",")
    }].length === 10) console.log("READY");\n`,
);

async function time(args: string[]): Promise<number> {
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: dir,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!seen.includes("READY")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`no READY from ${args.join(" ")}`);
    seen += value;
  }
  const elapsed = performance.now() - started;
  await reader.cancel();
  await child.status;
  return elapsed;
}

const aio: number[] = [];
const plain: number[] = [];
await time(["run", "-A", cli, "run"]); // warm the module cache
await time(["run", "-A", `${dir}/plain.ts`]);
for (let i = 0; i < trials; i++) {
  aio.push(await time(["run", "-A", cli, "run"]));
  plain.push(await time(["run", "-A", `${dir}/plain.ts`]));
}
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const a = median(aio);
const p = median(plain);
console.log(
  `aio run to aio-started (10 modules): median ${
    a.toFixed(1)
  } ms over ${trials} runs`,
);
console.log(`deno run importing 10 modules:       median ${p.toFixed(1)} ms`);
console.log(`ratio: ${(a / p).toFixed(2)}x (target <= 2x)`);
await Deno.remove(dir, { recursive: true });
