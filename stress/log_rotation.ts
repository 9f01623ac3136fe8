// Part 9: log rotation and a full disk under load. An app logs numbered
// lines as fast as a 1 ms schedule allows (bursts of 20 per run, so
// several records share a turn of the event loop), while its log is
// rotated over and over: mv + SIGUSR1 or SIGHUP (logrotate's postrotate)
// under FileHandler, mv alone under handlers.WatchedFileHandler, and the
// handlers' own rollovers (RotatingFileHandler at a small maxBytes,
// TimedRotatingFileHandler every second). Then the log is pointed at
// /dev/full and back. Every line from 1 to the app's own count must be in
// exactly one file: lost = 0, doubled = 0.
//
//   deno run -A stress/log_rotation.ts [--seconds 15] [--seed N]
import { parseArgs } from "node:util";
import { join } from "node:path";
import { CliProcess } from "../tests/e2e/_cli.ts";
import {
  type PartResult,
  prng,
  ROOT,
  runAlone,
  seedFrom,
  sleep,
} from "./_common.ts";

/** Title of this part in STRESS.md. */
export const NAME = "9. Log rotation and full disk";

const BURST = 20;

/** Options for {@linkcode logRotation}. */
export interface LogRotationOptions {
  /** How long each scenario keeps logging. */
  seconds: number;
  /** Seeds the rotation timing. */
  seed: number;
}

interface Count {
  written: number;
  /** `aio: error` lines on stderr. */
  errors: number;
  lost: number;
  doubled: number;
  files: number;
  rotations: number;
}

/** Runs every scenario and sums them up. */
export async function logRotation(
  options: LogRotationOptions,
): Promise<PartResult> {
  const random = prng(options.seed);
  const failures: string[] = [];
  const figures: Record<string, unknown> = {};
  const scenarios: [string, (dir: string) => Promise<Count>][] = [
    [
      "FileHandler, mv + SIGUSR1",
      (dir) => moveAndSignal(dir, "SIGUSR1", options.seconds, random),
    ],
    [
      "FileHandler, mv + SIGHUP",
      (dir) => moveAndSignal(dir, "SIGHUP", options.seconds, random),
    ],
    [
      "WatchedFileHandler, mv only",
      (dir) => moveAndSignal(dir, undefined, options.seconds, random),
    ],
    [
      "RotatingFileHandler, maxBytes 16 KiB",
      (dir) =>
        ownRollover(
          dir,
          `handlers.RotatingFileHandler`,
          `"a", 16384, 5000`,
          options.seconds,
        ),
    ],
    [
      "TimedRotatingFileHandler, when='S'",
      (dir) =>
        ownRollover(
          dir,
          `handlers.TimedRotatingFileHandler`,
          `"S", 1, 0`,
          options.seconds,
        ),
    ],
  ];
  for (const [name, scenario] of scenarios) {
    const dir = await Deno.makeTempDir({ prefix: "aio_stress_log_" });
    try {
      const count = await scenario(dir);
      figures[name] =
        `${count.written} lines, ${count.rotations} rotations, ${count.files} files: lost ${count.lost}, doubled ${count.doubled}, ${count.errors} error lines`;
      if (count.errors > 0) {
        failures.push(`${name}: ${count.errors} aio: error lines on stderr`);
      }
      if (count.lost > 0 || count.doubled > 0) {
        failures.push(
          `${name}: lost ${count.lost}, doubled ${count.doubled} of ${count.written}`,
        );
      }
      if (count.rotations < 2) {
        failures.push(`${name}: only ${count.rotations} rotations happened`);
      }
    } catch (error) {
      failures.push(`${name}: ${String(error).split("\n")[0]}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
  // A short spell of full disk fits in what aio keeps (1 MiB): nothing
  // may be lost. A long one overflows it: every line lost must be one the
  // recovery line owned up to.
  const spells = [[1, 0], [Math.max(3, options.seconds / 2), 190]];
  for (const [seconds, padding] of spells) {
    const name = `full disk for ${seconds} s (${
      padding + 10
    }-byte lines), then room again`;
    const dir = await Deno.makeTempDir({ prefix: "aio_stress_log_" });
    try {
      const full = await fullDisk(dir, seconds, padding);
      figures[name] =
        `${full.count.written} lines: lost ${full.count.lost} (${full.reported} reported dropped), doubled ${full.count.doubled}; ${full.errorLines} error line(s) on stderr`;
      if (full.count.lost !== full.reported || full.count.doubled > 0) {
        failures.push(
          `${name}: lost ${full.count.lost} (${full.reported} reported), doubled ${full.count.doubled}`,
        );
      }
      if (padding === 0 && full.count.lost > 0) {
        failures.push(`${name}: lost ${full.count.lost} within the bound`);
      }
      if (full.errorLines !== 1) {
        failures.push(`${name}: ${full.errorLines} error lines, not 1`);
      }
    } catch (error) {
      failures.push(`${name}: ${String(error).split("\n")[0]}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
  return { name: NAME, ok: failures.length === 0, figures, failures };
}

/** The app: a 1 ms schedule logging bursts of numbered lines; its count printed at the stop. */
async function writeApp(
  dir: string,
  logging: string,
  padding = 0,
): Promise<void> {
  const mod = new URL("../mod.ts", import.meta.url).href;
  await Deno.writeTextFile(
    join(dir, "ticker.ts"),
    `import { getLogger } from ${JSON.stringify(mod)};
const logger = getLogger("stress.tick");
let n = 0;
export function tick() {
  for (let i = 0; i < ${BURST}; i++) {
    logger.info("line {n}${
      padding ? " " + "x".repeat(padding) : ""
    }", { n: ++n });
  }
}
export function started() {
  console.log("STARTED");
}
export function stopped() {
  console.log(\`LINES \${n}\`);
}
`,
  );
  await Deno.writeTextFile(
    join(dir, "aio.conf"),
    `[aio]
log_handlers = file

[schedule/tick]
func = ./ticker.ts#tick
every = 0.001

[listen/count]
aio-started = ./ticker.ts#started
aio-stopped = ./ticker.ts#stopped

[formatter_plain]
format = %(message)s

${logging}`,
  );
}

function handlerSection(className: string, args: string): string {
  return `[handler_file]
class = ${className}
args = (${args})
formatter = plain
`;
}

async function start(dir: string): Promise<CliProcess> {
  const aio = new CliProcess(["run"], { cwd: dir });
  await within(aio, aio.waitFor(/^STARTED$/m), "the app to start");
  return aio;
}

/** Stops the app; its own count of lines and its `aio: error` lines. */
async function stop(
  aio: CliProcess,
): Promise<{ written: number; errors: number }> {
  aio.kill("SIGTERM");
  const result = await aio.done();
  if (result.code !== 0) {
    throw new Error(`aio exited ${result.code}: ${result.stderr.slice(-500)}`);
  }
  const match = /^LINES (\d+)$/m.exec(result.stdout);
  if (!match) throw new Error("the app did not print its count");
  const errors =
    result.stderr.split("\n").filter((line) => line.startsWith("aio: error"))
      .length;
  return { written: Number(match[1]), errors };
}

/** Counts `line N` across `files`: each of 1..written must be there once. */
function count(
  files: string[],
  { written, errors }: { written: number; errors: number },
  rotations: number,
): Count {
  const seen = new Uint8Array(written + 1);
  let doubled = 0;
  let extra = 0;
  for (const file of files) {
    const text = Deno.readTextFileSync(file);
    for (const match of text.matchAll(/^line (\d+)(?: x+)?$/gm)) {
      const n = Number(match[1]);
      if (n < 1 || n > written) extra++;
      else if (seen[n]++) doubled++;
    }
  }
  let lost = 0;
  for (let n = 1; n <= written; n++) if (!seen[n]) lost++;
  return {
    written,
    errors,
    lost,
    doubled: doubled + extra,
    files: files.length,
    rotations,
  };
}

async function moveAndSignal(
  dir: string,
  signal: Deno.Signal | undefined,
  seconds: number,
  random: () => number,
): Promise<Count> {
  const path = join(dir, "app.log");
  await writeApp(
    dir,
    handlerSection(
      signal ? "FileHandler" : "handlers.WatchedFileHandler",
      JSON.stringify(path),
    ),
  );
  const aio = await start(dir);
  const moved: string[] = [];
  const until = Date.now() + seconds * 1000;
  try {
    while (Date.now() < until) {
      await sleep(100 + random() * 400);
      const target = `${path}.${moved.length + 1}`;
      Deno.renameSync(path, target);
      moved.push(target);
      if (signal) aio.kill(signal);
      // The next move only once the app has started the new file.
      const deadline = Date.now() + 5000;
      while (!exists(path)) {
        if (Date.now() > deadline) throw new Error("no new log file in 5 s");
        await sleep(5);
      }
    }
  } catch (error) {
    aio.kill("SIGKILL");
    await aio.done().catch(() => {});
    throw error;
  }
  return count([...moved, path], await stop(aio), moved.length);
}

async function ownRollover(
  dir: string,
  className: string,
  args: string,
  seconds: number,
): Promise<Count> {
  const path = join(dir, "logs", "app.log");
  await writeApp(
    dir,
    handlerSection(className, `${JSON.stringify(path)}, ${args}`),
  );
  const aio = await start(dir);
  await sleep(seconds * 1000);
  const stopped = await stop(aio);
  const files = [...Deno.readDirSync(join(dir, "logs"))].map((entry) =>
    join(dir, "logs", entry.name)
  );
  return count(files, stopped, files.length - 1);
}

async function fullDisk(dir: string, seconds: number, padding: number) {
  const path = join(dir, "app.log");
  const real = join(dir, "real.log");
  Deno.symlinkSync("/dev/full", path);
  // Padded lines overflow the 1 MiB aio keeps within a few seconds.
  await writeApp(
    dir,
    handlerSection("handlers.WatchedFileHandler", JSON.stringify(path)),
    padding,
  );
  const aio = new CliProcess(["run"], { cwd: dir });
  try {
    await within(aio, aio.waitFor(/cannot write log file/), "the first error");
    await sleep(seconds * 1000);
    // Room again: the watched path now leads to a real file (swapped in by
    // a rename, as the app would recreate a path that is merely removed).
    Deno.symlinkSync(real, `${path}.new`);
    Deno.renameSync(`${path}.new`, path);
    await within(aio, aio.waitFor(/is writable again/), "the recovery line");
  } catch (error) {
    // Leave no app behind (it would recreate the log in a removed directory).
    aio.kill("SIGKILL");
    await aio.done().catch(() => {});
    throw error;
  }
  const stopped = await stop(aio);
  const errorLines =
    aio.stderr.split("\n").filter((line) => /cannot write log file/.test(line))
      .length;
  const dropped = /writable again; (\d+) record\(s\) were dropped/.exec(
    aio.stderr,
  );
  return {
    count: count([real], stopped, 0),
    reported: dropped ? Number(dropped[1]) : 0,
    errorLines,
  };
}

/** Waits for `event`, killing the app and failing after 20 s. */
async function within(
  aio: CliProcess,
  event: Promise<void>,
  what: string,
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      aio.kill("SIGKILL");
      reject(new Error(`no sign of ${what} in 20 s`));
    }, 20_000);
  });
  try {
    await Promise.race([event, late]);
  } finally {
    clearTimeout(timer);
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { seconds: { type: "string" }, seed: { type: "string" } },
  });
  const seed = seedFrom(values.seed);
  console.log(`seed ${seed}, root ${ROOT}`);
  await runAlone(
    NAME,
    () => logRotation({ seconds: Number(values.seconds ?? 15), seed }),
  );
}
