// Part 8: concurrent `aio config` edits keep every update. Each trial
// starts N `aio config -s`/`--unset` subprocesses on one file at once, each
// on its own option (new options, changed ones, removed ones), and checks
// that the file ends with every one of the N changes and nothing else
// changed. Every fifth trial also SIGKILLs a few writers at random moments:
// the file must still parse, every surviving writer's change must be there,
// and the next edit must take over the killed writers' lock and temporary
// files. Last, where the machine lets root mount a tmpfs, an edit on a full
// disk: refused in one line, the file intact, nothing left behind.
//
//   deno run -A stress/config_writers.ts [--trials 50] [--writers 20] [--seed N]
import { parseArgs } from "node:util";
import { ConfigParser } from "../src/config/config_parser.ts";
import { CLI } from "../tests/e2e/_cli.ts";
import {
  median,
  type PartResult,
  prng,
  runAlone,
  seedFrom,
  sleep,
} from "./_common.ts";

/** Options for {@linkcode configWriters}. */
export interface WritersOptions {
  /** How many rounds of concurrent writers (default 50). */
  trials?: number;
  /** Writers per round (default 20). */
  writers?: number;
  /** The seed for the edit mix and the kill moments. */
  seed?: number;
}

/** Title of this part in STRESS.md. */
export const NAME = "8. Concurrent config edits keep every update";

/** One writer's change: the option, and its value after (undefined: removed). */
interface Change {
  option: string;
  value: string | undefined;
}

function editArgs(file: string, change: Change): string[] {
  return change.value === undefined
    ? ["config", "-f", file, "--unset", `app:${change.option}`]
    : ["config", "-f", file, "-s", `app:${change.option}`, change.value];
}

function spawn(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
}

async function finish(
  child: Deno.ChildProcess,
): Promise<{ code: number; signal: Deno.Signal | null; stderr: string }> {
  const { code, signal, stderr } = await child.output();
  return { code, signal, stderr: new TextDecoder().decode(stderr).trim() };
}

/** The trial's starting document: existing options to change or remove, a comment to keep. */
function startingConfig(trial: number, existing: number): string {
  let text = `# trial ${trial}: this comment must survive\n[app]\n`;
  for (let index = 0; index < existing; index++) {
    text += `existing${index} = before ${index}\n`;
  }
  return text + "\n[other]\nuntouched = yes\n";
}

/** N changes on distinct options: a third new, a third changed, a third removed (in a random mix). */
function changesFor(
  writers: number,
  random: () => number,
): { changes: Change[]; existing: number } {
  const changes: Change[] = [];
  let existing = 0;
  for (let index = 0; index < writers; index++) {
    const kind = Math.floor(random() * 3);
    if (kind === 0) {
      changes.push({ option: `new${index}`, value: `set by writer ${index}` });
    } else {
      const option = `existing${existing++}`;
      changes.push({
        option,
        value: kind === 1 ? `changed by writer ${index}` : undefined,
      });
    }
  }
  return { changes, existing };
}

/** The pid in the file's lock file, if a writer holds it now. */
function lockHolder(file: string): number | undefined {
  try {
    const text = Deno.readTextFileSync(
      `${file.slice(0, file.lastIndexOf("/"))}/.aio.conf.lock`,
    );
    return /^\d+\n$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}

function leftovers(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((entry) => entry.name).filter((
    name,
  ) => name !== "aio.conf");
}

/** Runs the trials and the full-disk check, and sums them up. */
export async function configWriters(
  options: WritersOptions = {},
): Promise<PartResult> {
  const trials = options.trials ?? 50;
  const writers = options.writers ?? 20;
  const seed = options.seed ?? seedFrom(undefined);
  const random = prng(seed);
  const failures: string[] = [];
  const dir = await Deno.makeTempDir({ prefix: "aio_writers_" });
  const file = `${dir}/aio.conf`;
  let expectedTotal = 0;
  let keptTotal = 0;
  let worstTrial = { lost: -1, text: "" };
  let killedWriters = 0;
  let survivorsChecked = 0;
  let killedHolding = 0;
  const trialMs: number[] = [];
  try {
    for (let trial = 1; trial <= trials; trial++) {
      const { changes, existing } = changesFor(writers, random);
      const before = startingConfig(trial, existing);
      await Deno.writeTextFile(file, before);
      const killing = trial % 5 === 0;
      const started = performance.now();
      const children = changes.map((change) => spawn(editArgs(file, change)));
      if (killing) {
        // Three kills at random moments of the run: each hits the writer
        // that holds the lock then (its pid is in the lock file), else a
        // random one (starting up or waiting).
        const window = trialMs.length ? median(trialMs) : 700;
        for (let k = 0; k < 3; k++) {
          const fallback = Math.floor(random() * writers);
          sleep(random() * window).then(() => {
            const holder = children.findIndex((child) =>
              child.pid === lockHolder(file)
            );
            const index = holder >= 0 ? holder : fallback;
            try {
              children[index].kill("SIGKILL");
              if (holder >= 0) killedHolding++;
            } catch {
              // Already finished: its change counts like any other.
            }
          });
        }
      }
      const results = await Promise.all(children.map(finish));
      trialMs.push(performance.now() - started);
      let parser: ConfigParser;
      try {
        parser = new ConfigParser().readString(
          await Deno.readTextFile(file),
          file,
        );
      } catch (error) {
        failures.push(`trial ${trial}: the file no longer parses: ${error}`);
        continue;
      }
      let kept = 0;
      let expected = 0;
      changes.forEach((change, index) => {
        const result = results[index];
        const wasKilled = result.signal === "SIGKILL";
        if (wasKilled) killedWriters++;
        else if (result.code !== 0) {
          failures.push(
            `trial ${trial}: writer ${index} exited ${result.code}: ${result.stderr}`,
          );
        }
        const now = parser.get("app", change.option, { fallback: undefined });
        const applied = now === change.value;
        const untouched = change.value === undefined
          ? now !== undefined
          : change.option.startsWith("existing")
          ? now === `before ${change.option.slice(8)}`
          : now === undefined;
        if (wasKilled) {
          // Killed: its change is there or not, but nothing else may be.
          if (!applied && !untouched) {
            failures.push(
              `trial ${trial}: killed writer ${index} left ${change.option} = ${
                JSON.stringify(now)
              }`,
            );
          }
          return;
        }
        expected++;
        if (applied) kept++;
        else {
          failures.push(
            `trial ${trial}: writer ${index}'s change of ${change.option} was lost (${
              JSON.stringify(now)
            })`,
          );
        }
      });
      if (killing) survivorsChecked += expected;
      expectedTotal += expected;
      keptTotal += kept;
      if (expected - kept > worstTrial.lost) {
        worstTrial = { lost: expected - kept, text: `${kept} of ${expected}` };
      }
      if (parser.get("other", "untouched", { fallback: "" }) !== "yes") {
        failures.push(`trial ${trial}: [other] untouched changed`);
      }
      const text = await Deno.readTextFile(file);
      if (!text.startsWith(`# trial ${trial}: this comment must survive\n`)) {
        failures.push(`trial ${trial}: the leading comment was lost`);
      }
      // After kills, the next edit takes over whatever they left.
      if (killing) {
        const { code, stderr } = await finish(
          spawn([
            "config",
            "-f",
            file,
            "--lock-timeout",
            "0",
            "-s",
            "app:after",
            "kill",
          ]),
        );
        if (code !== 0) {
          failures.push(
            `trial ${trial}: the edit after the kills exited ${code}: ${stderr}`,
          );
        }
      }
      const left = leftovers(dir);
      if (left.length > 0) {
        failures.push(`trial ${trial}: left behind: ${left.join(", ")}`);
        for (const name of left) await Deno.remove(`${dir}/${name}`);
      }
    }
    const { fullDisk, readOnly } = await filesystemChecks(failures);
    return {
      name: NAME,
      ok: failures.length === 0,
      figures: {
        seed,
        trials,
        "writers per trial": writers,
        "updates kept (writers that finished)":
          `${keptTotal} of ${expectedTotal}`,
        "kept in the worst trial": worstTrial.text,
        "writers killed mid-edit (every 5th trial)": killedWriters,
        "of them while holding the lock": killedHolding,
        "survivors' updates kept in those trials": survivorsChecked,
        "one trial, ms (median / max)": `${median(trialMs).toFixed(0)} / ${
          Math.max(...trialMs).toFixed(0)
        }`,
        "full disk (64 KB tmpfs)": fullDisk,
        "read-only file system": readOnly,
      },
      failures,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * A config on a full tmpfs: `-s` must fail with one line, leave the file as
 * it was and remove its temporary and lock files. Then the same tmpfs
 * remounted read-only (see {@linkcode readOnlyCheck}). Needs root to mount;
 * a machine that cannot says so in the figures.
 */
async function filesystemChecks(
  failures: string[],
): Promise<{ fullDisk: string; readOnly: string }> {
  const mountPoint = await Deno.makeTempDir({ prefix: "aio_full_" });
  const mount = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mountPoint],
    stdout: "null",
    stderr: "null",
  }).output().catch(() => ({ success: false }));
  if (!mount.success) {
    await Deno.remove(mountPoint);
    const reason = "not run (cannot mount a tmpfs here)";
    return { fullDisk: reason, readOnly: reason };
  }
  try {
    const file = `${mountPoint}/aio.conf`;
    const text = `[app]\nbig = ${"b".repeat(20_000)}\nk = 1\n`;
    await Deno.writeTextFile(file, text);
    // Fill what is left, so the temporary copy cannot be written.
    const filler = await Deno.open(`${mountPoint}/filler`, {
      write: true,
      create: true,
    });
    try {
      await filler.write(new Uint8Array(128 * 1024));
    } catch {
      // Full: that is the point.
    } finally {
      filler.close();
    }
    const { code, stderr } = await finish(
      spawn(["config", "-f", file, "-s", "app:k", "2"]),
    );
    const problems: string[] = [];
    if (code !== 1) problems.push(`exit ${code}`);
    if (
      stderr !==
        `aio: error: Cannot write ${file}: no space left on device`
    ) problems.push(`stderr ${JSON.stringify(stderr)}`);
    if ((await Deno.readTextFile(file)) !== text) {
      problems.push("the file changed");
    }
    const left = [...Deno.readDirSync(mountPoint)].map((entry) => entry.name)
      .filter((name) => name !== "aio.conf" && name !== "filler");
    if (left.length > 0) problems.push(`left ${left.join(", ")}`);
    for (const problem of problems) failures.push(`full disk: ${problem}`);
    const readOnly = await readOnlyCheck(mountPoint, file, text, failures);
    return {
      fullDisk: problems.length === 0
        ? "refused in one line (exit 1), file intact, nothing left"
        : "FAILED",
      readOnly,
    };
  } finally {
    await new Deno.Command("umount", { args: [mountPoint] }).output();
    await Deno.remove(mountPoint, { recursive: true });
  }
}

/**
 * A read-only file system: a change fails in one line naming the lock file
 * it cannot create; an edit that changes nothing still answers as usual
 * (exit 0 for the same value, 5 for nothing to unset); the file is intact.
 */
async function readOnlyCheck(
  mountPoint: string,
  file: string,
  text: string,
  failures: string[],
): Promise<string> {
  const remount = await new Deno.Command("mount", {
    args: ["-o", "remount,ro", mountPoint],
    stdout: "null",
    stderr: "null",
  }).output();
  if (!remount.success) return "not run (cannot remount read-only)";
  const problems: string[] = [];
  const cases: [string[], number, string][] = [
    [
      ["-s", "app:k", "2"],
      1,
      `aio: error: Cannot write ${file}: cannot create the lock file ${mountPoint}/.aio.conf.lock: read-only file system`,
    ],
    [["-s", "app:k", "1"], 0, ""],
    [
      ["--unset", "app:nope"],
      5,
      `aio: error: No option 'nope' in section 'app' of ${file}: nothing to unset`,
    ],
  ];
  for (const [args, wantCode, wantStderr] of cases) {
    const { code, stderr } = await finish(
      spawn(["config", "-f", file, ...args]),
    );
    if (code !== wantCode || stderr !== wantStderr) {
      problems.push(
        `${args.join(" ")}: exit ${code}, ${JSON.stringify(stderr)}`,
      );
    }
  }
  if ((await Deno.readTextFile(file)) !== text) {
    problems.push("the file changed");
  }
  for (const problem of problems) failures.push(`read-only: ${problem}`);
  return problems.length === 0
    ? "a change refused in one line (exit 1); the same value exit 0; nothing to unset exit 5; file intact"
    : "FAILED";
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      trials: { type: "string" },
      writers: { type: "string" },
      seed: { type: "string" },
    },
  });
  await runAlone(NAME, () =>
    configWriters({
      trials: values.trials ? Number(values.trials) : undefined,
      writers: values.writers ? Number(values.writers) : undefined,
      seed: seedFrom(values.seed),
    }));
}
