// Nothing runs that the config did not ask for, and files aio writes get
// sane modes. Elsewhere: logging `args` are parsed, never evaluated
// (tests/logging/args_test.ts, "args: code is refused, never run"); a
// pidfile naming an unrelated live process is neither signalled nor
// overwritten (tests/e2e/run_test.ts). Known gaps are in STRESS.md.
import { equal, ok, rejects } from "node:assert/strict";
import { ConfigError } from "../../src/config/errors.ts";
import { ModuleLoader } from "../../src/refs.ts";
import { CliProcess, runCli } from "../e2e/_cli.ts";
import { waitUntil } from "../e2e/_processes.ts";

const MODULE = new URL("../fixtures/stress/echo.ts", import.meta.url).pathname;

function location(file = MODULE) {
  return {
    section: "listen/x",
    option: "aio-started",
    source: { file, line: 2 },
  };
}

Deno.test("a reference names an export, never a property of the module object or code", async () => {
  const refs = [
    `${MODULE}#constructor`,
    `${MODULE}#__proto__`,
    `${MODULE}#toString`,
    `${MODULE}#hasOwnProperty`,
    `${MODULE}#then`,
    `${MODULE}#Echo;Deno.exit(3)`,
    `${MODULE}#Echo)(Deno.exit(3)`,
    "javascript:Deno.exit(3)",
    `${MODULE}?x=1#Echo.x`,
  ];
  for (const ref of refs) {
    await rejects(
      new ModuleLoader().load(ref, location(), "any"),
      (error: unknown) => error instanceof ConfigError && error.line === 2,
      ref,
    );
  }
  ok(Deno.env.get("AIO_NEVER_SET") === undefined);
});

async function modeOf(path: string): Promise<number> {
  return (await Deno.stat(path)).mode! & 0o777;
}

Deno.test("aio config -s: a new aio.conf is not world-writable even under umask 000; an existing file keeps its mode", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aio_modes_" });
  try {
    equal(
      (await runCli(["config", "-s", "aio:log_level", "DEBUG"], {
        cwd: dir,
        umask: "000",
      })).code,
      0,
    );
    const mode = await modeOf(`${dir}/aio.conf`);
    equal(mode & 0o022, 0, `new aio.conf has mode ${mode.toString(8)}`);
    equal(mode, 0o644);
    for (const kept of [0o600, 0o640, 0o604, 0o660]) {
      await Deno.chmod(`${dir}/aio.conf`, kept);
      equal(
        (await runCli([
          "config",
          "-s",
          "aio:log_level",
          `L${kept}`,
        ], { cwd: dir, umask: "022" })).code,
        0,
      );
      equal((await modeOf(`${dir}/aio.conf`)).toString(8), kept.toString(8));
    }
    equal(
      await Deno.readTextFile(`${dir}/aio.conf`),
      "[aio]\nlog_level = L432\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a FileHandler log file is 0644, under umask 022 and 000", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aio_logmode_" });
  try {
    await Deno.writeTextFile(
      `${dir}/aio.conf`,
      `[logger_root]
level = INFO
handlers = file

[handler_file]
class = FileHandler
args = ("app.log", "a")
`,
    );
    for (const umask of ["022", "000"]) {
      await Deno.remove(`${dir}/app.log`).catch(() => {});
      // aio run opens it (aio check only reads, and creates nothing).
      const aio = new CliProcess(["run"], { cwd: dir, umask });
      try {
        await waitUntil(
          async () =>
            (await Deno.readTextFile(`${dir}/app.log`).catch(() => ""))
              .includes("Started: "),
          "aio run to log its start",
        );
      } finally {
        aio.kill("SIGTERM");
      }
      equal((await aio.done()).code, 0);
      equal(
        (await modeOf(`${dir}/app.log`)).toString(8),
        "644",
        `umask ${umask}`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
