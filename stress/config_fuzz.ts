// Part 5a: fuzz the config parser for minutes (random bytes, long lines,
// deep interpolation, huge numbers of sections; the generator is the one
// the fast test uses, tests/fuzz/_config_fuzz.ts). No crash, no document
// over 1 s, every rejection a ConfigError with a line. The loop runs in a
// worker; a worker silent for 5 s is hung, and the case is reported.
//
//   deno run -A stress/config_fuzz.ts [--minutes 10] [--seed N]
// Replay a case: AIO_FUZZ_SEED=N regenerates the same documents in order.
import { parseArgs } from "node:util";
import { type PartResult, runAlone, seedFrom } from "./_common.ts";
import type { FuzzMessage } from "./_config_fuzz_worker.ts";

/** Options for {@linkcode configFuzz}. */
export interface FuzzOptions {
  /** How long, in minutes (default 10). */
  minutes?: number;
  /** The seed for the documents. */
  seed?: number;
}

/** Title of this part in STRESS.md. */
export const NAME = "5a. Hostile input: the config parser";

const HUNG_MS = 5000;

/** Fuzzes the parser and sums it up. */
export function configFuzz(options: FuzzOptions = {}): Promise<PartResult> {
  const minutes = options.minutes ?? 10;
  const seed = options.seed ?? seedFrom(undefined);
  const failures: string[] = [];
  const worker = new Worker(
    new URL("./_config_fuzz_worker.ts", import.meta.url),
    { type: "module" },
  );
  let cases = 0;
  let slowestMs = 0;
  let lastHeard = performance.now();
  return new Promise((resolve) => {
    const finish = () => {
      clearInterval(watchdog);
      worker.terminate();
      resolve({
        name: NAME,
        ok: failures.length === 0,
        figures: {
          seed,
          minutes,
          documents: cases,
          "slowest document ms": slowestMs.toFixed(1),
        },
        failures,
      });
    };
    const watchdog = setInterval(() => {
      if (performance.now() - lastHeard > HUNG_MS) {
        failures.push(
          `hung on a document after case ${cases} (replay: AIO_FUZZ_SEED=${seed})`,
        );
        finish();
      }
    }, 500);
    worker.onmessage = (event: MessageEvent<FuzzMessage>) => {
      const message = event.data;
      lastHeard = performance.now();
      if (message.kind === "problem") {
        failures.push(
          `case ${message.case}: ${message.problem} (replay: AIO_FUZZ_SEED=${seed})`,
        );
        return;
      }
      cases = message.cases;
      slowestMs = message.slowestMs;
      if (message.kind === "done") finish();
    };
    worker.onerror = (event) => {
      event.preventDefault();
      failures.push(`the worker crashed: ${event.message}`);
      finish();
    };
    worker.postMessage({ seed, ms: minutes * 60_000 });
  });
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { minutes: { type: "string" }, seed: { type: "string" } },
  });
  await runAlone(NAME, () =>
    configFuzz({
      minutes: values.minutes ? Number(values.minutes) : undefined,
      seed: seedFrom(values.seed),
    }));
}
