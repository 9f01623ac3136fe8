// Part 5b: fuzz each server kind (tcp, unix, tls, udp, http) of a running
// `aio run` with random bytes, half requests and abrupt disconnects. After
// each round every server must answer a good request; at the end the
// process must hold no more file descriptors than before and stop with 0.
//
//   deno run -A stress/server_fuzz.ts [--seconds 120] [--seed N]
import { parseArgs } from "node:util";
import { CliProcess } from "../tests/e2e/_cli.ts";
import { type PartResult, prng, runAlone, seedFrom, sleep } from "./_common.ts";
import { checkAll, fuzzConfig, fuzzServers } from "./_server_fuzz.ts";
import { fdCount, rssKb } from "./_stress_app.ts";

/** Options for {@linkcode serverFuzz}. */
export interface ServerFuzzOptions {
  /** How long, in seconds (default 120). */
  seconds?: number;
  /** The seed for the hostile cases. */
  seed?: number;
}

/** Title of this part in STRESS.md. */
export const NAME = "5b. Hostile input: every server kind";

/** A module that prints the servers' addresses once started. */
const PRINT_ADDRS = `import { app } from "${
  new URL("../mod.ts", import.meta.url).href
}";
export function started() {
  const addr = (name) => app.servers[name].addr;
  console.log("ADDRS " + JSON.stringify({
    tcp: addr("tcp").port, tls: addr("tls").port, udp: addr("udp").port,
    http: addr("http").port, unix: addr("unix").path,
  }));
}
`;

/** Fuzzes the servers of a running app and sums it up. */
export async function serverFuzz(
  options: ServerFuzzOptions = {},
): Promise<PartResult> {
  const seconds = options.seconds ?? 120;
  const seed = options.seed ?? seedFrom(undefined);
  const failures: string[] = [];
  const dir = await Deno.makeTempDir({ prefix: "aio_server_fuzz_" });
  try {
    await Deno.writeTextFile(`${dir}/addrs.js`, PRINT_ADDRS);
    await Deno.writeTextFile(
      `${dir}/aio.conf`,
      fuzzConfig(`${dir}/echo.sock`, "WARNING") +
        `\n[listen/addrs]\naio-started = ./addrs.js#started\n`,
    );
    const aio = new CliProcess(["-c", `${dir}/aio.conf`, "run"], { cwd: dir });
    await aio.waitFor(/^ADDRS .*$/m);
    const targets = JSON.parse(aio.stdout.match(/^ADDRS (.*)$/m)![1]);
    const pid = aio.child.pid;
    const before = await checkAll(targets);
    for (const failure of before) failures.push(`before the fuzz: ${failure}`);
    await sleep(500);
    const fdsBefore = fdCount(pid);
    const rssBefore = rssKb(pid);
    const end = performance.now() + seconds * 1000;
    const { counts, failures: fuzzFailures } = await fuzzServers(
      targets,
      prng(seed),
      { until: () => performance.now() > end, perRound: 100 },
    );
    failures.push(...fuzzFailures);
    // Hostile connections the server still holds close within its read of them.
    await sleep(2000);
    const fdsAfter = fdCount(pid);
    const rssAfter = rssKb(pid);
    if (fdsAfter > fdsBefore) {
      failures.push(`open fds grew from ${fdsBefore} to ${fdsAfter}`);
    }
    aio.kill("SIGTERM");
    const result = await aio.done();
    if (result.code !== 0) failures.push(`exit code ${result.code}`);
    const logged = result.stderr.split("\n").filter((line) => line.trim());
    // Records start with the date; the rest of a record is its stack trace.
    const kinds = new Map<string, number>();
    for (const line of logged.filter((line) => /^\d{4}-\d\d-\d\d/.test(line))) {
      // The server's label (reference and source) differs run to run: drop it.
      const key = line.replace(/^\S+ \S+ /, "").replace(/ \([^)]*\)/, "")
        .slice(0, 120);
      kinds.set(key, (kinds.get(key) ?? 0) + 1);
    }
    if (logged.some((line) => /panic|Uncaught/i.test(line))) {
      failures.push(
        `crash in stderr: ${
          logged.find((line) => /panic|Uncaught/i.test(line))
        }`,
      );
    }
    return {
      name: NAME,
      ok: failures.length === 0,
      figures: {
        seed,
        seconds,
        "hostile cases": counts.cases,
        "MB sent": (counts.bytesSent / 1e6).toFixed(1),
        "rounds, each checked with a good request to every server":
          counts.goodChecks,
        "open fds before / after": `${fdsBefore} / ${fdsAfter}`,
        "RSS kB before / after": `${rssBefore} / ${rssAfter}`,
        "log lines (WARNING and up) by kind": Object.fromEntries(kinds),
      },
      failures,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { seconds: { type: "string" }, seed: { type: "string" } },
  });
  await runAlone(NAME, () =>
    serverFuzz({
      seconds: values.seconds ? Number(values.seconds) : undefined,
      seed: seedFrom(values.seed),
    }));
}
