// What every stress part shares: its result shape, the stress app's paths,
// seeded randomness and small timing helpers.
import { prng } from "../tests/fuzz/_config_fuzz.ts";

export { prng };

/** What one part found: pass or fail, its figures, and each failure in one line. */
export interface PartResult {
  /** The part's title, as STRESS.md names it. */
  name: string;
  /** True when every check held. */
  ok: boolean;
  /** The figures worth writing down, by name. */
  figures: Record<string, unknown>;
  /** One line per failed check. */
  failures: string[];
  /** How long the part took, in seconds. */
  seconds?: number;
}

/** The repo root, as a path. */
export const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
/** The stress app's config. */
export const STRESS_CONF = `${ROOT}/tests/fixtures/stress/aio.conf`;
/** The stress app's `[aio] shutdown_timeout`, in ms. */
export const STRESS_SHUTDOWN_MS = 5000;

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A seed from `--seed`, or a fresh one; printed so a failing run can be replayed. */
export function seedFrom(value: string | undefined): number {
  return value !== undefined ? Number(value) : Date.now() % 2 ** 31;
}

/** Prints a part's result: a verdict line, the figures, the failures. */
export function printResult(result: PartResult): void {
  const verdict = result.ok ? "PASS" : "FAIL";
  const took = result.seconds !== undefined
    ? ` (${result.seconds.toFixed(1)} s)`
    : "";
  console.log(`${verdict} ${result.name}${took}`);
  for (const [name, value] of Object.entries(result.figures)) {
    console.log(`  ${name}: ${format(value)}`);
  }
  for (const failure of result.failures.slice(0, 20)) {
    console.log(`  failure: ${failure}`);
  }
  if (result.failures.length > 20) {
    console.log(`  ... ${result.failures.length - 20} more failures`);
  }
}

function format(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Runs `part` and times it; an exception becomes a failure, not a crash of the whole task. */
export async function timed(
  name: string,
  part: () => Promise<PartResult>,
): Promise<PartResult> {
  const started = performance.now();
  let result: PartResult;
  try {
    result = await part();
  } catch (error) {
    result = {
      name,
      ok: false,
      figures: {},
      failures: [`threw ${error instanceof Error ? error.stack : error}`],
    };
  }
  result.seconds = (performance.now() - started) / 1000;
  return result;
}

/** Runs a part as a script: prints its result and exits 1 when it failed. */
export async function runAlone(
  name: string,
  part: () => Promise<PartResult>,
): Promise<void> {
  const result = await timed(name, part);
  printResult(result);
  Deno.exit(result.ok ? 0 : 1);
}

/** The median of some numbers. */
export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? sorted[middle]
    : (sorted[middle - 1] + sorted[middle]) / 2;
}
