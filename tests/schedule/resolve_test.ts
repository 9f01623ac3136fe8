// resolveSchedules: from a config to runnable definitions, loading real
// modules, with every problem collected.
import assert from "node:assert/strict";
import { ConfigParser } from "../../src/config/config_parser.ts";
import { Problems } from "../../src/config/problems.ts";
import { ModuleLoader } from "../../src/refs.ts";
import type { ScheduleEvent } from "../../src/schedule/definition.ts";
import { resolveSchedules } from "../../src/schedule/resolve.ts";

const APP = `
export function tick(name, event) { return name + " for " + event.config.who; }
export function done() {}
export function failed() {}
export const count = 42;
`;

/** A temp dir holding `app.js`, and `config` read as if from `aio.conf` there. */
async function appConfig(config: string) {
  const dir = await Deno.makeTempDir({ prefix: "aio_schedule_" });
  await Deno.writeTextFile(`${dir}/app.js`, APP);
  const parsed = new ConfigParser().readString(config, `${dir}/aio.conf`);
  return { dir, config: parsed };
}

Deno.test("resolveSchedules loads func, cb and err into runnable definitions", async () => {
  const { dir, config } = await appConfig(`[schedule/tick]
func = ./app.js#tick
cb = ./app.js#done
err = ./app.js#failed
every = 0.05
who = me
`);
  try {
    const problems = new Problems();
    const [tick, ...rest] = await resolveSchedules(
      config,
      new ModuleLoader(),
      problems,
    );
    assert.deepEqual(problems.errors, []);
    assert.deepEqual(rest, []);
    const app = await import(`file://${dir}/app.js`);
    assert.equal(tick.func, app.tick);
    assert.equal(tick.cb, app.done);
    assert.equal(tick.err, app.failed);
    assert.equal(tick.every, 0.05);
    assert.equal(tick.source, `${dir}/aio.conf:1`);
    assert.equal(tick.cluster, "each");
    const event = { config: tick.config } as ScheduleEvent;
    assert.equal(tick.func("tick", event), "tick for me");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resolveSchedules collects reference problems with the section's others", async () => {
  const { dir, config } = await appConfig(`[schedule/x]
func = ./app.js#count
cb = ./gone.js#done
err = ./app.js#missing
every = 0

[schedule/sound]
func = ./app.js#tick
every = 1
`);
  try {
    const problems = new Problems();
    const definitions = await resolveSchedules(
      config,
      new ModuleLoader(),
      problems,
    );
    assert.deepEqual(definitions.map((def) => def.name), ["sound"]);
    const file = `${dir}/aio.conf`;
    const errors = problems.errors.map((error) => error.message);
    assert.equal(errors.length, 4, errors.join("\n"));
    assert.equal(
      errors[0],
      `${file}:5: [schedule/x] every: must be a number of seconds from 0.001 to 1e12, not "0"`,
    );
    assert.equal(
      errors[1],
      `${file}:2: [schedule/x] func: './app.js#count' must name a function, not a number`,
    );
    assert.match(
      errors[2],
      new RegExp(`^${file}:3: \\[schedule/x\\] cb: Cannot load module`),
    );
    assert.match(
      errors[3],
      new RegExp(`^${file}:4: \\[schedule/x\\] err: .*no export 'missing'`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * Resolves `config` in a fresh process whose import map points `croner` at
 * a stand-in that says when it is evaluated, and returns that process's output.
 */
async function resolveInFreshProcess(config: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "aio_croner_" });
  try {
    const real = import.meta.resolve("croner");
    await Deno.writeTextFile(
      `${dir}/croner.ts`,
      `console.log("croner evaluated");\nexport * from ${
        JSON.stringify(real)
      };\n`,
    );
    const map = JSON.parse(
      await Deno.readTextFile(new URL("../../deno.json", import.meta.url)),
    ).imports;
    map.croner = `${dir}/croner.ts`;
    await Deno.writeTextFile(
      `${dir}/map.json`,
      JSON.stringify({ imports: map }),
    );
    await Deno.writeTextFile(`${dir}/app.js`, APP);
    await Deno.writeTextFile(
      `${dir}/main.ts`,
      `import { ConfigParser } from ${
        JSON.stringify(import.meta.resolve("../../src/config/config_parser.ts"))
      };
import { Problems } from ${
        JSON.stringify(import.meta.resolve("../../src/config/problems.ts"))
      };
import { ModuleLoader } from ${
        JSON.stringify(import.meta.resolve("../../src/refs.ts"))
      };
import { resolveSchedules } from ${
        JSON.stringify(import.meta.resolve("../../src/schedule/mod.ts"))
      };
const config = new ConfigParser().readString(${JSON.stringify(config)}, ${
        JSON.stringify(`${dir}/aio.conf`)
      });
const problems = new Problems();
const definitions = await resolveSchedules(config, new ModuleLoader(), problems);
console.log(definitions.length + " schedule(s), " + problems.errors.length + " problem(s)");
`,
    );
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--no-config",
        "--no-lock",
        "--import-map",
        `${dir}/map.json`,
        `${dir}/main.ts`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, stderr);
    return new TextDecoder().decode(output.stdout);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("croner is imported only when a schedule has cron", async () => {
  const every = await resolveInFreshProcess(
    "[schedule/a]\nfunc = ./app.js#tick\nevery = 1\n",
  );
  assert.equal(every, "1 schedule(s), 0 problem(s)\n");
  const cron = await resolveInFreshProcess(
    "[schedule/a]\nfunc = ./app.js#tick\nevery = 1\n[schedule/b]\nfunc = ./app.js#tick\ncron = 0 3 * * *\n",
  );
  assert.equal(cron, "croner evaluated\n2 schedule(s), 0 problem(s)\n");
});
