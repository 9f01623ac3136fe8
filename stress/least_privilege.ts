// Part 7: least privilege, in practice. The example app (./aio.conf) and
// the stress app run under exactly the flags `aio permissions` prints (and
// --no-prompt, so a missing permission fails instead of asking), do their
// work, and stop with exit 0, with no permission error in their output.
//
//   deno run -A stress/least_privilege.ts
import { CliProcess, runCli } from "../tests/e2e/_cli.ts";
import {
  type PartResult,
  ROOT,
  runAlone,
  sleep,
  STRESS_CONF,
} from "./_common.ts";
import { StressApp } from "./_stress_app.ts";

/** Title of this part in STRESS.md. */
export const NAME = "7. Least privilege";

const PERMISSION_ERROR = /NotCapable|PermissionDenied|Requires .* access/;

async function permissionsFor(configArgs: string[]): Promise<string[]> {
  const { code, stdout, stderr } = await runCli(
    [...configArgs, "permissions"],
    { cwd: ROOT },
  );
  if (code !== 0) throw new Error(`aio permissions exited ${code}: ${stderr}`);
  return stdout.trim().split(/\s+/);
}

/** Runs both apps under their printed flags and sums it up. */
export async function leastPrivilege(): Promise<PartResult> {
  const failures: string[] = [];
  const figures: Record<string, unknown> = {};

  // The example app: its schedule emits every 2 s and its listener logs it.
  const exampleFlags = await permissionsFor([]);
  figures["example app (./aio.conf) flags"] = exampleFlags.join(" ");
  const example = new CliProcess(["run"], {
    cwd: ROOT,
    denoFlags: [...exampleFlags, "--no-prompt"],
  });
  try {
    await example.waitFor(/Listener heard test-signal/);
  } catch (error) {
    failures.push(`example app: ${String(error).split("\n")[0]}`);
  }
  example.kill("SIGTERM");
  const exampleResult = await example.done();
  check("example app", exampleResult, failures);

  // The stress app: both servers answer, the schedule and signal run.
  const stressFlags = await permissionsFor(["-c", STRESS_CONF]);
  figures["stress app flags"] = stressFlags.join(" ");
  const app = await StressApp.start({
    denoFlags: [...stressFlags, "--no-prompt"],
  });
  try {
    const response = await fetch(
      `http://127.0.0.1:${app.ports.http}/?id=7&size=3`,
    );
    if ((await response.text()) !== "ok 7\nxxx") {
      failures.push("stress app: wrong HTTP answer");
    }
    const conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: app.ports.tcp,
    });
    await conn.write(new TextEncoder().encode("8 2 3 2\n"));
    const buffer = new Uint8Array(64);
    const count = await conn.read(buffer);
    conn.close();
    if (
      new TextDecoder().decode(buffer.subarray(0, count ?? 0)) !== "8 5 xx\n"
    ) {
      failures.push("stress app: wrong TCP answer");
    }
    await app.process.waitFor(/^STATS .*"hits":2/m);
    await sleep(100);
  } catch (error) {
    failures.push(`stress app: ${error}`);
  }
  app.process.kill("SIGTERM");
  const stressResult = await app.process.done();
  check("stress app", stressResult, failures);
  if (!app.stopped()) failures.push("stress app: aio-stopped did not run");
  return { name: NAME, ok: failures.length === 0, figures, failures };
}

function check(
  name: string,
  result: { code: number; stderr: string; stdout: string },
  failures: string[],
): void {
  if (result.code !== 0) failures.push(`${name}: exit code ${result.code}`);
  const output = result.stdout + result.stderr;
  if (PERMISSION_ERROR.test(output)) {
    failures.push(
      `${name}: permission error: ${output.match(PERMISSION_ERROR)![0]}`,
    );
  }
}

if (import.meta.main) await runAlone(NAME, leastPrivilege);
