// Parts 4 and the fast halves of 5 and 6: the test files that prove faults
// inside the app are contained (protocol callbacks, HTTP handlers,
// listeners, schedules), that servers and the parser survive hostile input
// (the short versions), and that nothing runs that the config did not ask
// for. They are in `deno task test` too; the stress task runs them again so
// its report is complete.
//
//   deno run -A stress/fast_tests.ts
import { type PartResult, ROOT, runAlone } from "./_common.ts";

/** Title of this part in STRESS.md. */
export const NAME = "4. Faults inside the app (and the fast tests of 5 and 6)";

/** The test runs: files, and a filter where only some tests of a file belong here. */
export const TEST_RUNS: { files: string[]; filter?: string }[] = [
  {
    files: [
      "tests/stress_fast/",
      "tests/faults_test.ts",
      "tests/fuzz/",
      "tests/logging/args_test.ts",
    ],
  },
  { files: ["tests/e2e/daemon_test.ts"], filter: "pidfile" },
];

/** Runs the test files and sums them up. */
export async function fastTests(): Promise<PartResult> {
  const failures: string[] = [];
  const figures: Record<string, unknown> = {};
  for (const run of TEST_RUNS) {
    const args = ["test", "-A", ...run.files];
    if (run.filter) args.push("--filter", run.filter);
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args,
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdin: "null",
    }).output();
    const text = new TextDecoder().decode(stdout) +
      new TextDecoder().decode(stderr);
    const summary = text.match(/^(ok|FAILED) \| .*$/m)?.[0] ?? "no summary";
    figures[`deno ${args.join(" ")}`] = summary;
    if (code !== 0) {
      const failed = [...text.matchAll(/^(.*) \.\.\. FAILED/gm)].map((m) =>
        m[1]
      );
      failures.push(
        `${run.files.join(" ")}: ${failed.join("; ") || summary}`,
      );
    }
  }
  return { name: NAME, ok: failures.length === 0, figures, failures };
}

if (import.meta.main) await runAlone(NAME, fastTests);
