// Nothing runs that the config did not ask for, and files aio writes get
// sane modes. Elsewhere: logging `args` are parsed, never evaluated
// (tests/logging/args_test.ts, "args: code is refused, never run"); a
// pidfile naming an unrelated live process is neither signalled nor
// overwritten (tests/e2e/run_test.ts). Known gaps are in STRESS.md.
import { equal, ok, rejects } from "node:assert/strict";
import { ConfigError } from "../../src/config/errors.ts";
import { loadRef } from "../../src/refs.ts";
import { CLI } from "../e2e/_cli.ts";

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
      loadRef(ref, location(), "any"),
      (error: unknown) => error instanceof ConfigError && error.line === 2,
      ref,
    );
  }
  ok(Deno.env.get("AIO_NEVER_SET") === undefined);
});

async function withUmask(
  umask: string,
  cwd: string,
  args: string[],
): Promise<number> {
  const { code } = await new Deno.Command("sh", {
    args: [
      "-c",
      `umask ${umask} && exec "$0" run -A "$@"`,
      Deno.execPath(),
      CLI,
      ...args,
    ],
    cwd,
    stdout: "null",
    stderr: "null",
  }).output();
  return code;
}

async function modeOf(path: string): Promise<number> {
  return (await Deno.stat(path)).mode! & 0o777;
}

Deno.test("aio config -s: a new aio.conf is not world-writable even under umask 000; an existing file keeps its mode", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aio_modes_" });
  try {
    equal(
      await withUmask("000", dir, ["config", "-s", "aio:log_level", "DEBUG"]),
      0,
    );
    const mode = await modeOf(`${dir}/aio.conf`);
    equal(mode & 0o022, 0, `new aio.conf has mode ${mode.toString(8)}`);
    equal(mode, 0o644);
    for (const kept of [0o600, 0o640, 0o604, 0o660]) {
      await Deno.chmod(`${dir}/aio.conf`, kept);
      equal(
        await withUmask("022", dir, [
          "config",
          "-s",
          "aio:log_level",
          `L${kept}`,
        ]),
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

Deno.test("a FileHandler log file gets 0666 less the umask, as Python's FileHandler", async () => {
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
    equal(await withUmask("022", dir, ["check"]), 0);
    equal((await modeOf(`${dir}/app.log`)).toString(8), "644");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
