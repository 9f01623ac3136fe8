// Files aio creates are not world-writable, even under umask 000.
import { equal } from "node:assert/strict";

const cli = new URL("../cli.ts", import.meta.url).pathname;

async function underUmask000(dir: string, args: string): Promise<number> {
  const { code } = await new Deno.Command("sh", {
    args: [
      "-c",
      `umask 000 && exec "${Deno.execPath()}" run -A "${cli}" ${args}`,
    ],
    cwd: dir,
    stdout: "null",
    stderr: "null",
  }).output();
  return code;
}

Deno.test("a FileHandler's new log file and a new aio.conf are 0644 under umask 000", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aio_modes_" });
  try {
    await Deno.writeTextFile(
      `${dir}/app.conf`,
      `[logger_root]\nlevel = INFO\nhandlers = file\n[handler_file]\nclass = FileHandler\nargs = ("${dir}/app.log", "a")\nformatter = simpleFormatter\n`,
    );
    equal(await underUmask000(dir, "-c app.conf check"), 0);
    equal((await Deno.stat(`${dir}/app.log`)).mode! & 0o777, 0o644);
    equal(await underUmask000(dir, "config -s aio:log_level DEBUG"), 0);
    equal((await Deno.stat(`${dir}/aio.conf`)).mode! & 0o777, 0o644);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
