// Part 1: stop under load loses nothing. Each trial starts the stress app,
// keeps HTTP and TCP clients busy, sends SIGTERM at a random moment and
// checks that every request the server accepted was answered in full, that
// new connections were refused once the stop began, that aio exited 0
// within shutdown_timeout, and that aio-stopped ran.
//
//   deno run -A stress/stop_under_load.ts [--trials 100] [--clients 200] [--seed N]
import { parseArgs } from "node:util";
import {
  type PartResult,
  prng,
  runAlone,
  seedFrom,
  sleep,
  STRESS_SHUTDOWN_MS,
} from "./_common.ts";
import {
  type ClientStats,
  httpSession,
  type LoadControl,
  newStats,
  runClients,
  tcpSession,
} from "./_clients.ts";
import { StressApp, stressConfigWith } from "./_stress_app.ts";

/** Options for {@linkcode stopUnderLoad}. */
export interface StopOptions {
  /** How many trials (default 100). */
  trials?: number;
  /** Clients of each kind (default 200 HTTP and 200 TCP). */
  clients?: number;
  /** The seed for the random moments and requests. */
  seed?: number;
  /**
   * A negative control: run with `shutdown_timeout = 0`, so open
   * connections are cut at the stop. The checks must then find losses;
   * this proves they can.
   */
  control?: boolean;
}

/** Title of this part in STRESS.md. */
export const NAME = "1. Stop under load loses nothing";

interface Trial {
  failures: string[];
  lost: number;
  complete: number;
  notAccepted: number;
  refusedAfterStop: number;
  exitMs: number;
  stopDelayMs: number;
}

/** Runs the trials and sums them up. */
export async function stopUnderLoad(
  options: StopOptions = {},
): Promise<PartResult> {
  const trials = options.trials ?? 100;
  const clients = options.clients ?? 200;
  const seed = options.seed ?? seedFrom(undefined);
  const random = prng(seed);
  const failures: string[] = [];
  const results: Trial[] = [];
  const dir = options.control
    ? await Deno.makeTempDir({ prefix: "aio_stop_control_" })
    : undefined;
  const config = dir ? stressConfigWith(dir, 0) : undefined;
  for (let index = 0; index < trials; index++) {
    const trial = await runTrial(clients, random, config);
    results.push(trial);
    for (const failure of trial.failures) {
      failures.push(`trial ${index + 1}: ${failure}`);
    }
    if (Deno.stdout.isTerminal()) {
      Deno.stdout.writeSync(new TextEncoder().encode(
        `\r  trial ${index + 1}/${trials}: ${trial.complete} answered, exit ${
          trial.exitMs.toFixed(0)
        } ms   `,
      ));
    }
  }
  if (Deno.stdout.isTerminal()) console.log();
  if (dir) await Deno.remove(dir, { recursive: true });
  const sum = (pick: (trial: Trial) => number) =>
    results.reduce((total, trial) => total + pick(trial), 0);
  const exits = results.map((trial) => trial.exitMs);
  return {
    name: NAME,
    ok: failures.length === 0,
    figures: {
      seed,
      trials,
      clients: `${clients} HTTP + ${clients} TCP`,
      answers: "0-16 KB; 2% of them 0-4 MB; 10% of connections read slowly",
      "requests answered in full": sum((trial) => trial.complete),
      "requests not accepted (closed with no answer)": sum((trial) =>
        trial.notAccepted
      ),
      "connections refused after SIGTERM": sum((trial) =>
        trial.refusedAfterStop
      ),
      losses: sum((trial) => trial.lost),
      "exit after SIGTERM, max ms": Math.max(...exits).toFixed(0),
      "exit after SIGTERM, mean ms": (sum((trial) => trial.exitMs) / trials)
        .toFixed(0),
      "shutdown_timeout ms": STRESS_SHUTDOWN_MS,
    },
    failures,
  };
}

async function runTrial(
  clients: number,
  random: () => number,
  config?: string,
): Promise<Trial> {
  const failures: string[] = [];
  const app = await StressApp.start({ config });
  const control: LoadControl = {
    done: false,
    random,
    nextId: 1,
    maxSize: 16 * 1024,
    largeShare: 0.02,
    largeSize: 4_000_000,
    slowShare: 0.1,
    maxRequests: 8,
    pauseMs: 0,
  };
  const http = newStats();
  const tcp = newStats();
  const load = Promise.all([
    runClients(clients, httpSession, app.ports.http, http, control),
    runClients(clients, tcpSession, app.ports.tcp, tcp, control),
  ]);
  const stopDelayMs = 300 + random() * 1700;
  await sleep(stopDelayMs);
  const stopAt = performance.now();
  control.stopAt = stopAt;
  app.process.kill("SIGTERM");
  // Kill it for good if it overstays, so one bad trial cannot hang the task.
  const guard = setTimeout(
    () => app.process.kill("SIGKILL"),
    STRESS_SHUTDOWN_MS + 10_000,
  );
  const result = await app.process.done();
  const exitMs = performance.now() - stopAt;
  clearTimeout(guard);
  // The clients see refusals now; let them record a few, then end.
  await sleep(100);
  control.done = true;
  await load;

  if (result.code !== 0) failures.push(`exit code ${result.code}`);
  if (exitMs > STRESS_SHUTDOWN_MS) {
    failures.push(`exit took ${exitMs.toFixed(0)} ms (> shutdown_timeout)`);
  }
  const stopped = app.stopped();
  if (!stopped) failures.push("aio-stopped did not run (no STOPPED line)");
  if (!result.stdout.includes("STOPPING")) {
    failures.push("aio-stopping did not run");
  }
  for (const [kind, stats] of [["http", http], ["tcp", tcp]] as const) {
    checkKind(kind, stats, stopped?.[kind], failures);
  }
  if (/error|panic/i.test(result.stderr)) {
    failures.push(`stderr: ${result.stderr.trim().split("\n")[0]}`);
  }
  const lost = (stats: ClientStats, answered = 0) =>
    Math.max(stats.lost, answered - stats.complete);
  return {
    failures,
    lost: lost(http, stopped?.http) + lost(tcp, stopped?.tcp),
    complete: http.complete + tcp.complete,
    notAccepted: http.notAccepted + tcp.notAccepted,
    refusedAfterStop: http.refused - http.refusedBeforeStop + tcp.refused -
      tcp.refusedBeforeStop,
    exitMs,
    stopDelayMs,
  };
}

function checkKind(
  kind: string,
  stats: ClientStats,
  answeredByServer: number | undefined,
  failures: string[],
): void {
  if (stats.lost > 0) {
    failures.push(
      `${kind}: ${stats.lost} lost: ${stats.lossDetails.join("; ")}`,
    );
  }
  // Every request the server handled must have reached its client whole.
  if (answeredByServer !== undefined && answeredByServer !== stats.complete) {
    failures.push(
      `${kind}: lost ${
        answeredByServer - stats.complete
      } answers: the server handled ${answeredByServer} requests, clients got ${stats.complete} in full`,
    );
  }
  if (stats.complete === 0) failures.push(`${kind}: no request was answered`);
  if (stats.refusedBeforeStop > 0) {
    failures.push(
      `${kind}: ${stats.refusedBeforeStop} connections refused before SIGTERM`,
    );
  }
  if (stats.acceptedAfterRefusal > 0) {
    failures.push(
      `${kind}: ${stats.acceptedAfterRefusal} new connections accepted after the first refusal`,
    );
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      trials: { type: "string" },
      clients: { type: "string" },
      seed: { type: "string" },
      control: { type: "boolean" },
    },
  });
  await runAlone(NAME, () =>
    stopUnderLoad({
      control: values.control,
      trials: values.trials ? Number(values.trials) : undefined,
      clients: values.clients ? Number(values.clients) : undefined,
      seed: seedFrom(values.seed),
    }));
}
