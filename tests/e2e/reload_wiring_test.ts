// A reload re-wires logging and refreshes the module commands (issue 15,
// "listeners and logging are re-wired; module commands refreshed"),
// through the real CLI: after SIGHUP, the log lines follow the new
// config's format, level and handlers; the running app's `app.config` and
// its module commands (run in-process with `runner`) are the new ones.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { CliProcess, tempApp } from "./_cli.ts";

const MOD = new URL("../../mod.ts", import.meta.url).href;

/** Runs `aio run` in `dir`, and stops it and removes `dir` after `body`. */
async function withApp(
  dir: string,
  body: (aio: CliProcess) => Promise<void>,
): Promise<void> {
  const aio = new CliProcess(["run"], { cwd: dir });
  try {
    await body(aio);
  } finally {
    aio.kill("SIGTERM");
    equal((await aio.done()).code, 0, aio.stderr);
    await Deno.remove(dir, { recursive: true });
  }
}

const MARKS = `import { getLogger } from "${MOD}";
const logger = getLogger("aio.mark");
function mark(when: string) {
  logger.debug("debug-" + when);
  logger.info("info-" + when);
  console.log("MARK " + when);
}
export const started = () => mark("started");
export const reloaded = () => mark("reloaded");
`;

const LOGGING = `[aio]
shutdown_timeout = 2
log_level = INFO

[formatter_simpleFormatter]
format = OLD %(levelname)s %(name)s: %(message)s

[listen/marks]
aio-started = ./marks.ts#started
aio-reloaded = ./marks.ts#reloaded
`;

Deno.test("a reload re-wires logging: the new format, level and handlers apply to the lines that follow", async () => {
  const dir = await tempApp(LOGGING, { "marks.ts": MARKS });
  await withApp(dir, async (aio) => {
    await aio.waitFor(/^MARK started\n/m);
    await aio.waitFor(/^OLD INFO aio\.mark: info-started\n/m);
    ok(!aio.stderr.includes("debug-started"), "INFO hides DEBUG");

    await Deno.writeTextFile(
      `${dir}/aio.conf`,
      LOGGING
        .replace("log_level = INFO", "log_level = DEBUG")
        .replace(
          "[aio]\n",
          "[aio]\nlog_handlers = consoleHandler, fileHandler\nlog_file = logs/after.log\n",
        )
        .replace(
          "format = OLD %(levelname)s %(name)s: %(message)s",
          "format = NEW|%(levelname)s|%(name)s|%(message)s",
        ),
    );
    aio.kill("SIGHUP");
    await aio.waitFor(/^MARK reloaded\n/m);
    await aio.waitFor(/^NEW\|DEBUG\|aio\.mark\|debug-reloaded\n/m);
    await aio.waitFor(/^NEW\|INFO\|aio\.mark\|info-reloaded\n/m);
    match(aio.stderr, /^NEW\|INFO\|aio\.app\|Reload 1 done in /m);

    // Once the switch is made, every log line is in the new format.
    const lines = aio.stderr.split("\n").filter((line) => line !== "");
    const first = lines.findIndex((line) => line.startsWith("NEW|"));
    ok(first > 0, aio.stderr);
    deepEqual(
      lines.slice(first).filter((line) => !line.startsWith("NEW|")),
      [],
    );
    // Before it, the old one (the reload's first lines included).
    match(lines[first - 1], /^OLD INFO aio\.app: Reload 1: checking /);

    // The handler the new config adds writes the same lines to its file.
    const file = await Deno.readTextFile(`${dir}/logs/after.log`);
    match(file, /^NEW\|INFO\|aio\.app\|Reload 1 done in /m);
    match(file, /^NEW\|DEBUG\|aio\.mark\|debug-reloaded$/m);
    ok(!file.includes("OLD "), file);
  });
});

const COMMANDS_MODULE = (version: number) =>
  `export function hello(args: string[]) {
  console.log("HELLO v${version} " + args.join(" "));
}
export function bye() {
  console.log("BYE v${version}");
}
`;

const RUNNER = `import { app, runner } from "${MOD}";
async function run(...names: string[]) {
  const commands = app.config!.options("aio/commands").join(",");
  console.log("COMMANDS " + commands);
  for (const name of names) {
    console.log("EXIT " + name + " " + await runner([name, "x"]));
  }
}
export const started = () => run("greet");
export const reloaded = () => run("greet", "farewell");
`;

const COMMANDS = `[aio]
shutdown_timeout = 2

[aio/commands]
greet = ./commands.ts#hello

[listen/marks]
aio-started = ./runner.ts#started
aio-reloaded = ./runner.ts#reloaded
`;

Deno.test("a reload refreshes the module commands: a changed command runs its new code, an added one is there", async () => {
  const dir = await tempApp(COMMANDS, {
    "commands.ts": COMMANDS_MODULE(1),
    "runner.ts": RUNNER,
  });
  await withApp(dir, async (aio) => {
    await aio.waitFor(/^EXIT greet 0\n/m);
    deepEqual(aio.stdout.split("\n").filter(Boolean), [
      "COMMANDS greet",
      "HELLO v1 x",
      "EXIT greet 0",
    ]);

    await Deno.writeTextFile(`${dir}/commands.ts`, COMMANDS_MODULE(2));
    await Deno.writeTextFile(
      `${dir}/aio.conf`,
      COMMANDS.replace(
        "greet = ./commands.ts#hello\n",
        "greet = ./commands.ts#hello\nfarewell = ./commands.ts#bye\n",
      ),
    );
    aio.kill("SIGHUP");
    await aio.waitFor(/^EXIT farewell \d+\n/m);
    deepEqual(aio.stdout.split("\n").filter(Boolean).slice(3), [
      "COMMANDS greet,farewell",
      "HELLO v2 x",
      "EXIT greet 0",
      "BYE v2",
      "EXIT farewell 0",
    ]);
    // On stderr, which may be read after stdout: waited for.
    await aio.waitFor(/Reload 1 done in .* re-imported \.\/commands\.ts;/);
  });
});
