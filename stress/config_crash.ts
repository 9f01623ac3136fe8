// Part 2: `aio config -s` is crash-safe. A 1 MB config is set back and
// forth between two values by `aio config -s` subprocesses that are killed
// (SIGKILL) at a random moment of their run. After every kill the file must
// parse and be, byte for byte, the old or the new version; after the next
// successful set no temporary file may be left beside it.
//
//   deno run -A stress/config_crash.ts [--trials 200] [--seed N]
import { parseArgs } from "node:util";
import { ConfigParser } from "../src/config/config_parser.ts";
import { CLI } from "../tests/e2e/_cli.ts";
import { type PartResult, prng, runAlone, seedFrom } from "./_common.ts";

/** Options for {@linkcode configCrash}. */
export interface CrashOptions {
  /** How many killed sets (default 200). */
  trials?: number;
  /** The seed for the kill moments. */
  seed?: number;
}

/** Title of this part in STRESS.md. */
export const NAME = "2. aio config -s is crash-safe";

/** A config of about 1 MB: many sections, the option to set in the middle. */
export function bigConfig(): string {
  const parts = [
    "# A 1 MB config for the crash test\n[aio]\nlog_level = INFO\n",
  ];
  let size = parts[0].length;
  for (let i = 0; size < 1_000_000; i++) {
    const part = `\n[section ${i}]\nkey = value ${i}\n  continued ${
      "z".repeat(i % 50)
    }\nother: ${i * 7}\n`;
    parts.push(part);
    size += part.length;
    if (i === 5000) parts.push("\n[target]\nvalue = start\n");
  }
  return parts.join("");
}

function setCommand(file: string, value: string): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, "config", "-f", file, "-s", "target:value", value],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  });
}

function temporaryFiles(dir: string): string[] {
  return [...Deno.readDirSync(dir)]
    .map((entry) => entry.name)
    .filter((name) => name.endsWith(".tmp"));
}

/** Runs the killed sets and sums them up. */
export async function configCrash(
  options: CrashOptions = {},
): Promise<PartResult> {
  const trials = options.trials ?? 200;
  const seed = options.seed ?? seedFrom(undefined);
  const random = prng(seed);
  const failures: string[] = [];
  const dir = await Deno.makeTempDir({ prefix: "aio_crash_" });
  const file = `${dir}/aio.conf`;
  try {
    const original = bigConfig();
    await Deno.writeTextFile(file, original);
    // Time a few sets first, so kills land anywhere in a run's length, and
    // half of them in its last part, where the temporary file is written.
    const timings = [];
    for (let i = 0; i < 3; i++) {
      timings.push(await timeSet(file, `warm-${i}`, dir));
    }
    const runMs = Math.max(...timings.map((timing) => timing.runMs));
    const writeFromMs = Math.min(
      ...timings.map((timing) => timing.writeFromMs),
    );
    const writeToMs = Math.max(...timings.map((timing) => timing.writeToMs));
    const outcomes = { old: 0, new: 0, finished: 0, tmpLeftByKill: 0 };
    let current = "warm-2";
    for (let trial = 1; trial <= trials; trial++) {
      const value = `v${trial}-${"w".repeat(trial % 40)}`;
      const before = await Deno.readTextFile(file);
      const child = setCommand(file, value).spawn();
      const delay = trial % 2
        ? random() * runMs * 1.1
        : writeFromMs - 10 + random() * (writeToMs - writeFromMs + 20);
      await new Promise((resolve) => setTimeout(resolve, delay));
      try {
        child.kill("SIGKILL");
      } catch {
        // It finished first: that trial checks a clean set.
      }
      const status = await child.status;
      await child.stderr.cancel();
      if (status.success) outcomes.finished++;
      const after = await Deno.readTextFile(file);
      try {
        new ConfigParser().readString(after, file);
      } catch (error) {
        failures.push(`trial ${trial}: the file no longer parses: ${error}`);
      }
      if (after === before) {
        outcomes.old++;
      } else {
        // The new version is what a clean set of `value` on `before` gives.
        const expected = expectedAfterSet(before, current, value);
        if (after === expected) {
          outcomes.new++;
          current = value;
        } else {
          failures.push(
            `trial ${trial}: the file is neither the old nor the new version (${after.length} bytes)`,
          );
          current = new ConfigParser().readString(after, file).get(
            "target",
            "value",
          );
        }
      }
      if (temporaryFiles(dir).length > 0) outcomes.tmpLeftByKill++;
      // Every few trials, a clean set: no temporary file may outlive it.
      if (trial % 10 === 0 || trial === trials) {
        const clean = `clean-${trial}`;
        const { code } = await setCommand(file, clean).output();
        if (code !== 0) {
          failures.push(`trial ${trial}: a clean set exited ${code}`);
        }
        current = clean;
        const left = temporaryFiles(dir);
        if (left.length > 0) {
          failures.push(
            `trial ${trial}: ${left.length} temporary file(s) left after a successful set: ${
              left.slice(0, 3).join(", ")
            }`,
          );
          for (const name of left) await Deno.remove(`${dir}/${name}`);
        }
      }
    }
    return {
      name: NAME,
      ok: failures.length === 0,
      figures: {
        seed,
        trials,
        "config size bytes": original.length,
        "one set, ms (max of 3)": runMs.toFixed(0),
        "temporary file seen, ms into a set": `${writeFromMs.toFixed(0)}-${
          writeToMs.toFixed(0)
        }`,
        "killed before the rename (file unchanged)": outcomes.old,
        "file was the new version": outcomes.new,
        "set finished before the kill": outcomes.finished,
        "kills that left a temporary file (until the next set)":
          outcomes.tmpLeftByKill,
      },
      failures,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs a clean set, polling the directory to see when the temporary file appears. */
async function timeSet(
  file: string,
  value: string,
  dir: string,
): Promise<{ runMs: number; writeFromMs: number; writeToMs: number }> {
  const started = performance.now();
  const child = setCommand(file, value).spawn();
  let writeFromMs = Infinity;
  let writeToMs = 0;
  let finished = false;
  const status = child.status.then((status) => {
    finished = true;
    return status;
  });
  while (!finished) {
    if (temporaryFiles(dir).length > 0) {
      const at = performance.now() - started;
      if (writeFromMs === Infinity) writeFromMs = at;
      writeToMs = at;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const runMs = performance.now() - started;
  await child.stderr.cancel();
  if (!(await status).success) throw new Error("aio config -s failed");
  // Not seen at all (too quick for the polling): aim at the end of the run.
  if (writeFromMs === Infinity) {
    return { runMs, writeFromMs: runMs - 60, writeToMs: runMs - 20 };
  }
  return { runMs, writeFromMs, writeToMs };
}

/** `text` with `[target] value` changed from `from` to `to`, as a clean set writes it. */
function expectedAfterSet(text: string, from: string, to: string): string {
  const line = `\n[target]\nvalue = ${from}\n`;
  const at = text.indexOf(line);
  if (at < 0) return "";
  return text.slice(0, at) + `\n[target]\nvalue = ${to}\n` +
    text.slice(at + line.length);
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { trials: { type: "string" }, seed: { type: "string" } },
  });
  await runAlone(NAME, () =>
    configCrash({
      trials: values.trials ? Number(values.trials) : undefined,
      seed: seedFrom(values.seed),
    }));
}
