// Part 6: nothing runs that the config did not ask for, and the files aio
// writes get sane modes. Drives `aio check` and `aio run -d` as
// subprocesses, under umask 022 and 000. The fast, always-green parts are
// in tests/stress_fast/nothing_runs_test.ts; logging `args` and the pidfile
// of an unrelated process are tested in tests/logging/args_test.ts and
// tests/e2e/daemon_test.ts (the stress task runs those files in part 4).
//
//   deno run -A stress/nothing_runs.ts
import { runCli } from "../tests/e2e/_cli.ts";
import { type PartResult, runAlone, sleep } from "./_common.ts";

/** Title of this part in STRESS.md. */
export const NAME = "6. Nothing runs that the config did not ask for";

/** What the smuggled code prints; the config holds only its pieces, so an error message quoting the config cannot fake it. */
const MARKER = "AIO_STRESS_CODE_RAN";
const PRINT = `console.log(["AIO","STRESS","CODE","RAN"].join("_"))`;

/** References a config might hold to smuggle code in; none may run anything. */
export const HOSTILE_REFS = [
  "./mod.ts#constructor",
  "./mod.ts#__proto__",
  "./mod.ts#toString",
  "./mod.ts#fn.constructor",
  "./mod.ts#obj.constructor",
  "./mod.ts#fn.call",
  `./mod.ts#a;${PRINT}`,
  `javascript:${PRINT}`,
  `data:text/javascript,${PRINT}#x`,
  `data:text/javascript;base64,${btoa(PRINT)}`,
  "blob:null/0000#x",
];

async function aio(
  cwd: string,
  args: string[],
  umask = "022",
): Promise<{ code: number; output: string }> {
  const { code, stdout, stderr } = await runCli(args, { cwd, umask });
  return { code, output: stdout + stderr };
}

async function modeOf(path: string): Promise<string> {
  return ((await Deno.stat(path)).mode! & 0o777).toString(8).padStart(3, "0");
}

/** Runs the checks and sums them up. */
export async function nothingRuns(): Promise<PartResult> {
  const failures: string[] = [];
  const figures: Record<string, unknown> = {};
  const dir = await Deno.makeTempDir({ prefix: "aio_nothing_" });
  try {
    await Deno.writeTextFile(
      `${dir}/mod.ts`,
      "export function fn() { return 1; }\nexport const obj = { a: 1 };\n",
    );
    const refs: Record<string, string[]> = {};
    for (const ref of HOSTILE_REFS) {
      // As a listener, a schedule's func (through `aio check`) and a
      // command (by running it): the places a reference goes.
      for (
        const [where, text, args] of [
          ["listener", `[listen/x]\naio-started = ${ref}\n`, ["check"]],
          ["schedule", `[schedule/x]\nevery = 60\nfunc = ${ref}\n`, ["check"]],
          ["command", `[aio/commands]\nx = ${ref}\n`, ["x"]],
        ] as const
      ) {
        await Deno.writeTextFile(`${dir}/aio.conf`, text);
        const { code, output } = await aio(dir, [...args]);
        const ran = output.includes(MARKER);
        const verdict = ran
          ? "RAN CODE"
          : code === 78
          ? "refused (78)"
          : `accepted (${code})`;
        (refs[verdict] ??= []).push(`${where} = ${ref}`);
        if (ran) {
          failures.push(`${where} = ${ref}: code from the config ran`);
        } else if (code !== 78) {
          failures.push(
            `${where} = ${ref}: accepted, though it names no export`,
          );
        }
      }
    }
    for (const [verdict, list] of Object.entries(refs)) {
      figures[`hostile references: ${verdict}`] = list.join(" | ");
    }
    await fileModes(dir, figures, failures);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  return { name: NAME, ok: failures.length === 0, figures, failures };
}

/** The modes of what aio creates: a new aio.conf, a FileHandler log, the pidfile and log of `run -d`. */
async function fileModes(
  dir: string,
  figures: Record<string, unknown>,
  failures: string[],
): Promise<void> {
  for (const umask of ["022", "000"]) {
    const work = `${dir}/umask${umask}`;
    await Deno.mkdir(work);
    await aio(work, ["config", "-s", "aio:log_level", "WARNING"], umask);
    await aio(
      work,
      [
        "config",
        "-s",
        "handler_file:args",
        '("app.log", "a")',
      ],
      umask,
    );
    for (
      const [option, value] of [
        ["logger_root:level", "INFO"],
        ["logger_root:handlers", "file"],
        ["handler_file:class", "FileHandler"],
      ]
    ) await aio(work, ["config", "-s", option, value], umask);
    const modes: Record<string, string> = {
      "aio.conf (new, config -s)": await modeOf(`${work}/aio.conf`),
    };
    await Deno.chmod(`${work}/aio.conf`, 0o600);
    await aio(work, ["config", "-s", "aio:log_level", "INFO"], umask);
    modes["aio.conf (0600 before config -s)"] = await modeOf(
      `${work}/aio.conf`,
    );
    const detached = await aio(work, ["run", "-d"], umask);
    if (detached.code !== 0) {
      failures.push(`umask ${umask}: run -d exited ${detached.code}`);
    } else {
      await waitForFile(`${work}/app.log`);
      modes["var/run/aio.pid (run -d)"] = await modeOf(
        `${work}/var/run/aio.pid`,
      );
      modes["var/log/aio.log (run -d)"] = await modeOf(
        `${work}/var/log/aio.log`,
      );
      modes["app.log (FileHandler)"] = await modeOf(`${work}/app.log`);
      const pid = Number(await Deno.readTextFile(`${work}/var/run/aio.pid`));
      Deno.kill(pid, "SIGTERM");
      await waitForExit(pid);
    }
    figures[`file modes under umask ${umask}`] = modes;
    for (const [file, mode] of Object.entries(modes)) {
      if (file.startsWith("aio.conf (0600") && mode !== "600") {
        failures.push(`umask ${umask}: ${file} became ${mode}`);
      }
      if (Number.parseInt(mode, 8) & 0o002) {
        failures.push(`umask ${umask}: ${file} is world-writable (${mode})`);
      }
    }
  }
}

async function waitForFile(path: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      await Deno.stat(path);
      return;
    } catch {
      await sleep(50);
    }
  }
}

async function waitForExit(pid: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      await Deno.stat(`/proc/${pid}`);
      await sleep(50);
    } catch {
      return;
    }
  }
}

if (import.meta.main) await runAlone(NAME, nothingRuns);
