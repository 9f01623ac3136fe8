// `aio config` shows the config `aio run` and `aio check` use: the modules'
// defaults (an aio.conf beside a module, an aioConfig export, bare
// specifiers through the import map), `--log-level`, and logging.conf over
// the logging sections, each value pointing at the layer it came from.
// `-f FILE` stays that file alone; `-s` writes the user file only.
import { deepEqual, equal, match } from "node:assert/strict";
import { runCli, tempApp } from "./_cli.ts";

const greeter = new URL("../../examples/greeter/mod.ts", import.meta.url)
  .pathname;
const greeterConf = new URL("../../examples/greeter/aio.conf", import.meta.url)
  .pathname;

/** An app listing the greeter (its aio.conf) and a bare `mylib` (its aioConfig). */
function layeredApp(aioExtra = ""): Promise<string> {
  return tempApp(
    `[aio]\nmodules = ${greeter}\n    mylib\n${aioExtra}\n[mylib]\nshared = from user\n`,
    {
      "deno.json": JSON.stringify({ imports: { mylib: "./lib/mylib.ts" } }),
      "lib/mylib.ts":
        `export const aioConfig = "[mylib]\\nown = from module\\nshared = from module\\n";\n`,
    },
  );
}

async function listing(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

Deno.test("aio config, -g and --json show the module layers, as aio greet sees them", async () => {
  const dir = await layeredApp();
  try {
    const before = await listing(dir);
    const [dump, section, value, json, greet] = await Promise.all([
      runCli(["config"], { cwd: dir }),
      runCli(["config", "-g", "aio/commands"], { cwd: dir }),
      runCli(["config", "-g", "mylib:own"], { cwd: dir }),
      runCli(["config", "--json"], { cwd: dir }),
      runCli(["greet", "Ada"], { cwd: dir }),
    ]);
    for (const result of [dump, section, value, json, greet]) {
      equal(result.code, 0, result.stderr);
      equal(result.stderr, "");
    }
    equal(greet.stdout, "Hello, Ada!\n");
    equal(section.stdout, "greet = ./mod.ts#greet\n");
    equal(value.stdout, "from module\n");
    match(dump.stdout, /\n\[aio\/commands\]\ngreet = \.\/mod\.ts#greet\n\n/);
    match(
      dump.stdout,
      /\n\[mylib\]\nshared = from user\nown = from module\n\n/,
    );
    const config = JSON.parse(json.stdout);
    deepEqual(config.files, [
      "<aio defaults>",
      "aio.conf",
      greeterConf,
      "mylib#aioConfig",
    ]);
    deepEqual(config.sections["aio/commands"].greet, {
      value: "./mod.ts#greet",
      source: `${greeterConf}:4`,
      file: greeterConf,
      line: 4,
    });
    equal(config.sections.mylib.own.source, "mylib#aioConfig:2");
    // The user config wins over the module's defaults (layer 4).
    equal(config.sections.mylib.shared.source, "aio.conf:6");
    // The dump wrote nothing: no log file, no lock, nothing.
    deepEqual(await listing(dir), before);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("aio config -f FILE stays that file alone; -s writes the user file, over a module's default", async () => {
  const dir = await layeredApp();
  try {
    const raw = await runCli(["config", "-f", "aio.conf", "-g", "mylib"], {
      cwd: dir,
    });
    equal(raw.code, 0, raw.stderr);
    equal(raw.stdout, "shared = from user\n");
    // The help says where -s writes, and how to win over a module's default.
    const help = await runCli(["config", "--help"], { cwd: dir });
    equal(help.code, 0, help.stderr);
    match(
      help.stdout.replaceAll("\n", " "),
      /-s and --unset write the user config \(or -f FILE\), never a module's defaults; a value a module's defaults set is overridden by setting it in the user config/,
    );
    const set = await runCli(["config", "-s", "mylib:own", "mine"], {
      cwd: dir,
    });
    equal(set.code, 0, set.stderr);
    match(await Deno.readTextFile(`${dir}/aio.conf`), /\nown = mine\n/);
    equal(
      await Deno.readTextFile(`${dir}/lib/mylib.ts`),
      `export const aioConfig = "[mylib]\\nown = from module\\nshared = from module\\n";\n`,
    );
    const json = await runCli(["config", "--json", "-g", "mylib:own"], {
      cwd: dir,
    });
    equal(json.code, 0, json.stderr);
    deepEqual(JSON.parse(json.stdout), {
      value: "mine",
      source: "aio.conf:7",
      file: "aio.conf",
      line: 7,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("aio config shows logging.conf over the logging sections only, and --log-level over all", async () => {
  const dir = await tempApp("[aio]\nlog_level = INFO\n\n[x]\nk = 1\n", {
    "logging.conf":
      "[aio]\nlog_level = ERROR\n\n[x]\nk = 2\n\n[handler_consoleHandler]\nlevel = WARNING\n",
  });
  try {
    const [json, level, override] = await Promise.all([
      runCli(["config", "--json"], { cwd: dir }),
      runCli(["config", "-g", "logger_root:level"], { cwd: dir }),
      runCli(["--log-level", "DEBUG", "config", "-g", "aio:log_level"], {
        cwd: dir,
      }),
    ]);
    for (const result of [json, level, override]) {
      equal(result.code, 0, result.stderr);
    }
    const config = JSON.parse(json.stdout);
    deepEqual(config.files, ["<aio defaults>", "aio.conf", "logging.conf"]);
    equal(config.sections.handler_consoleHandler.level.value, "WARNING");
    equal(
      config.sections.handler_consoleHandler.level.source,
      "logging.conf:8",
    );
    // Its other sections only feed the logging sections' references.
    equal(config.sections.x.k.value, "1");
    equal(config.sections.aio.log_level.value, "INFO");
    equal(level.stdout, "ERROR\n");
    equal(override.stdout, "DEBUG\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("aio config: a module that cannot be imported is a config error, as aio check reports it", async () => {
  const dir = await tempApp("[aio]\nmodules = ./missing.ts\n");
  try {
    const [config, check] = await Promise.all([
      runCli(["config", "-g", "aio"], { cwd: dir }),
      runCli(["check"], { cwd: dir }),
    ]);
    equal(config.code, 78);
    equal(config.stdout, "");
    equal(check.code, 78);
    match(
      config.stderr,
      /^aio: config error: aio\.conf:2: \[aio\] modules: Cannot load module 'file:\/\/\/.*\/missing\.ts': Module not found/,
    );
    equal(config.stderr, check.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("aio config of an app with modules and a log file opens no log file", async () => {
  const dir = await layeredApp(
    "log_handlers = consoleHandler, fileHandler\n",
  );
  try {
    const before = await listing(dir);
    const result = await runCli(["config", "-g", "handler_fileHandler"], {
      cwd: dir,
    });
    equal(result.code, 0, result.stderr);
    match(result.stdout, /^args = \("var\/log\/app\.log", "a"\)$/m);
    deepEqual(await listing(dir), before);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
