// Part 3: soak. The stress app runs under mixed load (HTTP and TCP clients,
// its schedule every 10 ms, a signal emitted per request) for minutes. After
// a warm-up, its RSS must grow by less than 5%, its open file descriptors
// (counted with the load paused) must not grow, and its schedule must still
// be on time at the end. Every answer is checked as in part 1.
//
//   deno run -A stress/soak.ts [--minutes 10] [--clients 16] [--seed N]
import { parseArgs } from "node:util";
import {
  median,
  type PartResult,
  prng,
  runAlone,
  seedFrom,
  sleep,
} from "./_common.ts";
import {
  type ClientStats,
  httpSession,
  type LoadControl,
  newStats,
  runClients,
  tcpSession,
} from "./_clients.ts";
import { fdCount, rssKb, type Stats, StressApp } from "./_stress_app.ts";

/** Options for {@linkcode soak}. */
export interface SoakOptions {
  /** How long, in minutes (default 10). */
  minutes?: number;
  /** Clients of each kind (default 16 HTTP and 16 TCP). */
  clients?: number;
  /** The seed for the requests. */
  seed?: number;
}

/** Title of this part in STRESS.md. */
export const NAME = "3. Soak";

const SAMPLE_MS = 2000;
/** RSS is compared over this long at the start (after warm-up) and at the end. */
const COMPARE_MS = 60_000;
/** RSS growth is judged only after a warm-up this long (RSS settles in about 90 s). */
const MIN_JUDGED_WARMUP_MS = 90_000;
/** Schedule timeliness is judged over the last this many one-second windows. */
const LAST_WINDOWS = 30;

interface Sample {
  at: number;
  rssKb: number;
  fds: number;
}

/** Runs the soak and sums it up. */
export async function soak(options: SoakOptions = {}): Promise<PartResult> {
  const minutes = options.minutes ?? 10;
  const clients = options.clients ?? 16;
  const seed = options.seed ?? seedFrom(undefined);
  const durationMs = minutes * 60_000;
  // Under this load RSS settles in about 90 s (the V8 heap and the
  // allocator's arenas grow to their working size); a shorter soak ends
  // before that and its growth figure says little.
  const warmupMs = Math.min(120_000, durationMs * 0.4);
  const compareMs = Math.min(COMPARE_MS, (durationMs - warmupMs) / 3);
  const failures: string[] = [];
  const app = await StressApp.start();
  const pid = app.pid;
  const control: LoadControl = {
    done: false,
    random: prng(seed),
    nextId: 1,
    maxSize: 4096,
    maxRequests: 20,
    pauseMs: 5,
  };
  const http = newStats();
  const tcp = newStats();
  const startLoad = () =>
    Promise.all([
      runClients(clients, httpSession, app.ports.http, http, control),
      runClients(clients, tcpSession, app.ports.tcp, tcp, control),
    ]);
  const pauseLoad = async (load: Promise<unknown>) => {
    control.done = true;
    await load;
    control.done = false;
    // The server closes its side once the clients have closed theirs.
    await sleep(1000);
    return fdCount(pid);
  };

  const started = performance.now();
  let load = startLoad();
  await sleep(warmupMs);
  const fdsAfterWarmup = await pauseLoad(load);
  const statsAtWarmup = app.stats().length;
  load = startLoad();
  const samples: Sample[] = [];
  while (performance.now() - started < durationMs) {
    await sleep(SAMPLE_MS);
    samples.push({
      at: performance.now() - started,
      rssKb: rssKb(pid),
      fds: fdCount(pid),
    });
  }
  const fdsAtEnd = await pauseLoad(load);
  const rssAtEnd = rssKb(pid);
  const windows = app.stats().slice(statsAtWarmup);
  app.process.kill("SIGTERM");
  const result = await app.process.done();

  // Memory: the median over a minute after warm-up against the last minute's.
  const first = samples.filter((s) => s.at < warmupMs + compareMs);
  const last = samples.filter((s) => s.at >= durationMs - compareMs);
  const rssStart = median(first.map((s) => s.rssKb));
  const rssEnd = median(last.map((s) => s.rssKb));
  const growth = (rssEnd - rssStart) / rssStart;
  // A warm-up shorter than RSS takes to settle (a short run) measures the
  // settling, not a leak: the figure is shown but not judged.
  const judged = warmupMs >= MIN_JUDGED_WARMUP_MS;
  if (judged && !(growth < 0.05)) {
    failures.push(
      `RSS grew ${(growth * 100).toFixed(1)}% (${rssStart} kB to ${rssEnd} kB)`,
    );
  }
  if (fdsAtEnd > fdsAfterWarmup) {
    failures.push(`open fds grew from ${fdsAfterWarmup} to ${fdsAtEnd}`);
  }

  const timing = scheduleTiming(windows);
  failures.push(...timing.failures);

  for (const [kind, stats] of [["http", http], ["tcp", tcp]] as const) {
    checkAnswers(kind, stats, app.stopped()?.[kind], failures);
  }
  const stopped = app.stopped();
  if (stopped && stopped.hits !== stopped.http + stopped.tcp) {
    failures.push(
      `signals: ${stopped.hits} listener calls for ${
        stopped.http + stopped.tcp
      } requests`,
    );
  }
  if (result.code !== 0) failures.push(`exit code ${result.code}`);
  if (result.stderr.trim()) {
    failures.push(`stderr: ${result.stderr.trim().split("\n")[0]}`);
  }

  const seconds = (performance.now() - started) / 1000;
  return {
    name: NAME,
    ok: failures.length === 0,
    figures: {
      seed,
      minutes,
      "warm-up s": warmupMs / 1000,
      clients:
        `${clients} HTTP + ${clients} TCP, ${control.pauseMs} ms between requests`,
      "requests answered": http.complete + tcp.complete,
      "requests per second": ((http.complete + tcp.complete) / seconds)
        .toFixed(0),
      "signals emitted (one per request)": stopped?.hits,
      "schedule runs (every 10 ms)": stopped?.ticks,
      "RSS kB: after warm-up (median of a minute)": rssStart,
      "RSS kB: last minute (median)": rssEnd,
      "RSS kB: max": Math.max(...samples.map((s) => s.rssKb)),
      "RSS kB: at the end, load paused": rssAtEnd,
      "RSS growth %": `${(growth * 100).toFixed(2)}${
        judged ? "" : " (not judged: warm-up under 90 s)"
      }`,
      "RSS kB by minute (median)": byMinute(samples, (s) => s.rssKb),
      "JS heap used kB by minute (median)": byMinute(
        windows.map((w, i) => ({ at: warmupMs + i * 1000, ...w })),
        (w) => w.heapUsedKb,
      ),
      "open fds, load paused: after warm-up / at the end":
        `${fdsAfterWarmup} / ${fdsAtEnd}`,
      "open fds under load: max": Math.max(...samples.map((s) => s.fds)),
      ...timing.figures,
    },
    failures,
  };
}

/** The median of `pick` over each minute of samples, as a list. */
function byMinute<T extends { at: number }>(
  samples: T[],
  pick: (sample: T) => number,
): number[] {
  const minutes: number[][] = [];
  for (const sample of samples) {
    (minutes[Math.floor(sample.at / 60_000)] ??= []).push(pick(sample));
  }
  return minutes.filter(Boolean).map((values) => Math.round(median(values)));
}

/**
 * On time at the end: over the last windows, at least 95% of the due runs
 * ran, and their mean lateness is under 10 ms or under twice the lateness
 * right after warm-up (a loaded machine is late from the start).
 */
function scheduleTiming(windows: Stats[]): {
  figures: Record<string, unknown>;
  failures: string[];
} {
  const failures: string[] = [];
  const head = windows.slice(0, LAST_WINDOWS);
  const tail = windows.slice(-LAST_WINDOWS);
  const mean = (list: Stats[]) =>
    list.reduce((sum, w) => sum + w.lateAvg * w.windowTicks, 0) /
    Math.max(1, list.reduce((sum, w) => sum + w.windowTicks, 0));
  const ran = tail.reduce((sum, w) => sum + w.windowTicks, 0);
  const due = tail.length * 100;
  const lateStart = mean(head);
  const lateEnd = mean(tail);
  if (ran < due * 0.95) {
    failures.push(
      `schedule: ${ran} of ${due} runs in the last ${tail.length} s`,
    );
  }
  if (lateEnd > Math.max(10, 2 * lateStart)) {
    failures.push(
      `schedule: mean lateness ${lateEnd.toFixed(1)} ms at the end, ${
        lateStart.toFixed(1)
      } ms after warm-up`,
    );
  }
  return {
    figures: {
      "schedule runs in the last 30 s (due 3000)": ran,
      "schedule lateness ms, mean: after warm-up / at the end": `${
        lateStart.toFixed(2)
      } / ${lateEnd.toFixed(2)}`,
      "schedule lateness ms, worst second at the end": Math.max(
        ...tail.map((w) => w.lateMax),
      ),
    },
    failures,
  };
}

function checkAnswers(
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
  if (stats.refused + stats.connectFailed > 0) {
    failures.push(
      `${kind}: ${stats.refused} refused, ${stats.connectFailed} failed connections`,
    );
  }
  if (answeredByServer !== stats.complete) {
    failures.push(
      `${kind}: the server handled ${answeredByServer} requests, clients got ${stats.complete} in full`,
    );
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      minutes: { type: "string" },
      clients: { type: "string" },
      seed: { type: "string" },
    },
  });
  await runAlone(NAME, () =>
    soak({
      minutes: values.minutes ? Number(values.minutes) : undefined,
      clients: values.clients ? Number(values.clients) : undefined,
      seed: seedFrom(values.seed),
    }));
}
