// `deno task stress`: every stress part in sequence, then a summary. The
// soak and the parser fuzz run at the same time (the fuzz in a worker
// thread): they are the two ten-minute parts, and together they keep the
// whole task near 20 minutes on a 2-core machine. STRESS.md holds the
// latest figures.
//
//   deno run -A stress/mod.ts                 # the full run (about 20 min)
//   deno run -A stress/mod.ts --quick         # every part, shortened (about 2.5 min)
//   deno run -A stress/mod.ts --only 1,2      # some parts
// Per-part sizes: --stop-trials N --crash-trials N --soak-minutes M
// --fuzz-minutes M --server-fuzz-seconds S --writer-trials N --log-seconds S
// --hostile-rounds N --daemon-trials N --cluster-seconds S --reloads N
// --worker-reloads N --worker-kills N; --seed N; --json FILE writes the
// results as JSON.
import { parseArgs } from "node:util";
import { type PartResult, printResult, seedFrom, timed } from "./_common.ts";
import { NAME as STOP, stopUnderLoad } from "./stop_under_load.ts";
import { configCrash, NAME as CRASH } from "./config_crash.ts";
import { NAME as SOAK, soak } from "./soak.ts";
import { configFuzz, NAME as FUZZ } from "./config_fuzz.ts";
import { fastTests, NAME as FAST } from "./fast_tests.ts";
import { NAME as SERVER_FUZZ, serverFuzz } from "./server_fuzz.ts";
import { NAME as NOTHING, nothingRuns } from "./nothing_runs.ts";
import { leastPrivilege, NAME as PRIVILEGE } from "./least_privilege.ts";
import { configWriters, NAME as WRITERS } from "./config_writers.ts";
import { logRotation, NAME as LOG_ROTATION } from "./log_rotation.ts";
import {
  NAME as HOSTILE,
  serverHostileClients,
} from "./server_hostile_clients.ts";
import { daemonsAndSignals, NAME as DAEMONS } from "./daemons_signals.ts";
import { cluster, NAME as CLUSTER } from "./cluster.ts";
import { NAME as RELOAD, reloadUnderLoad } from "./reload_under_load.ts";
import { NAME as WORKERS, workerProcesses } from "./workers.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean" },
    only: { type: "string" },
    seed: { type: "string" },
    json: { type: "string" },
    "stop-trials": { type: "string" },
    "crash-trials": { type: "string" },
    "soak-minutes": { type: "string" },
    "fuzz-minutes": { type: "string" },
    "server-fuzz-seconds": { type: "string" },
    "writer-trials": { type: "string" },
    "log-seconds": { type: "string" },
    "hostile-rounds": { type: "string" },
    "daemon-trials": { type: "string" },
    "cluster-seconds": { type: "string" },
    reloads: { type: "string" },
    "worker-reloads": { type: "string" },
    "worker-kills": { type: "string" },
  },
});

const quick = values.quick ?? false;
const size = (name: keyof typeof values, full: number, short: number) =>
  values[name] !== undefined ? Number(values[name]) : quick ? short : full;
const seed = seedFrom(values.seed);
const only = values.only?.split(",").map((part) => part.trim());
const wanted = (part: string) => !only || only.includes(part);

const soakMinutes = size("soak-minutes", 10, 1);
const fuzzMinutes = size("fuzz-minutes", 10, 1);
console.log(
  `aio stress: seed ${seed}${quick ? ", quick" : ""}${
    only ? `, parts ${only.join(",")}` : ""
  }`,
);
const started = performance.now();
const results: PartResult[] = [];
async function part(
  number: string,
  name: string,
  run: () => Promise<PartResult>,
) {
  if (!wanted(number)) return;
  console.log(`\n== ${name}`);
  const result = await timed(name, run);
  printResult(result);
  results.push(result);
}

await part(
  "1",
  STOP,
  () => stopUnderLoad({ trials: size("stop-trials", 100, 10), seed }),
);
await part(
  "2",
  CRASH,
  () => configCrash({ trials: size("crash-trials", 200, 20), seed }),
);
if (wanted("3") && wanted("5")) {
  console.log(`\n== ${SOAK}, with ${FUZZ} alongside`);
  const [soakResult, fuzzResult] = await Promise.all([
    timed(SOAK, () => soak({ minutes: soakMinutes, seed })),
    timed(FUZZ, () => configFuzz({ minutes: fuzzMinutes, seed })),
  ]);
  for (const result of [soakResult, fuzzResult]) {
    printResult(result);
    results.push(result);
  }
} else {
  await part("3", SOAK, () => soak({ minutes: soakMinutes, seed }));
  await part("5", FUZZ, () => configFuzz({ minutes: fuzzMinutes, seed }));
}
await part(
  "5",
  SERVER_FUZZ,
  () => serverFuzz({ seconds: size("server-fuzz-seconds", 120, 15), seed }),
);
await part("4", FAST, fastTests);
await part("6", NOTHING, nothingRuns);
await part("7", PRIVILEGE, leastPrivilege);
await part(
  "8",
  WRITERS,
  () => configWriters({ trials: size("writer-trials", 50, 5), seed }),
);
await part(
  "9",
  LOG_ROTATION,
  () => logRotation({ seconds: size("log-seconds", 15, 3), seed }),
);
await part("10", HOSTILE, () =>
  serverHostileClients({
    rounds: size("hostile-rounds", 5, 2),
    slowSeconds: quick ? 7 : 12,
  }));
await part(
  "11",
  DAEMONS,
  () => daemonsAndSignals({ trials: size("daemon-trials", 10, 3), seed }),
);
await part(
  "12",
  CLUSTER,
  () => cluster({ seconds: size("cluster-seconds", 60, 15) }),
);
await part(
  "13",
  RELOAD,
  () => reloadUnderLoad({ reloads: size("reloads", 100, 20), seed }),
);
await part("14", WORKERS, () =>
  workerProcesses({
    reloads: size("worker-reloads", 100, 5),
    kills: size("worker-kills", 10, 3),
    clients: quick ? 50 : 200,
  }));

const minutes = (performance.now() - started) / 60_000;
console.log(`\n== Summary (${minutes.toFixed(1)} min, seed ${seed})`);
for (const result of results) {
  console.log(
    `${result.ok ? "PASS" : "FAIL"}  ${result.name}  (${
      result.seconds?.toFixed(0)
    } s${
      result.failures.length ? `, ${result.failures.length} failures` : ""
    })`,
  );
}
if (values.json) {
  await Deno.writeTextFile(
    values.json,
    JSON.stringify({ seed, quick, minutes, results }, null, 2) + "\n",
  );
}
Deno.exit(results.every((result) => result.ok) ? 0 : 1);
