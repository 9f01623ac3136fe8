// Running the stress app (tests/fixtures/stress) under `aio run` as a
// subprocess and reading what it prints.
import { CliProcess } from "../tests/e2e/_cli.ts";
import { ROOT, STRESS_CONF } from "./_common.ts";

/** The ports the app printed once started. */
export interface Ports {
  http: number;
  tcp: number;
}

/** One `STATS` line: counters since start and the last second's schedule lateness. */
export interface Stats {
  http: number;
  tcp: number;
  hits: number;
  ticks: number;
  windowTicks: number;
  lateMax: number;
  lateAvg: number;
  heapUsedKb: number;
  externalKb: number;
}

/** The final counters from `aio-stopped`. */
export interface Stopped {
  http: number;
  tcp: number;
  hits: number;
  ticks: number;
}

/** How to start the stress app. */
export interface StressAppOptions {
  /** Permission flags instead of `-A`. */
  denoFlags?: string[];
  /** Another config file (see {@linkcode stressConfigWith}). */
  config?: string;
}

/**
 * Writes a copy of the stress app's config with `[aio] shutdown_timeout`
 * changed into `dir`, its references made absolute; returns its path.
 */
export function stressConfigWith(dir: string, shutdownTimeout: number): string {
  const fixture = STRESS_CONF.replace(/aio\.conf$/, "");
  const text = Deno.readTextFileSync(STRESS_CONF)
    .replaceAll("./stress_app.ts", `${fixture}stress_app.ts`)
    .replace(
      /^shutdown_timeout = .*$/m,
      `shutdown_timeout = ${shutdownTimeout}`,
    );
  const path = `${dir}/aio.conf`;
  Deno.writeTextFileSync(path, text);
  return path;
}

/** A running stress app. */
export class StressApp {
  readonly process: CliProcess;
  ports!: Ports;

  /** Starts `aio -c tests/fixtures/stress/aio.conf run` (or `config`), with `-A` unless `denoFlags` are given. */
  constructor(options: StressAppOptions = {}) {
    this.process = new CliProcess(
      ["-c", options.config ?? STRESS_CONF, "run"],
      {
        cwd: ROOT,
        denoFlags: options.denoFlags,
      },
    );
  }

  /** Starts the app and resolves once it printed its ports. */
  static async start(options: StressAppOptions = {}): Promise<StressApp> {
    const app = new StressApp(options);
    await app.process.waitFor(/^PORTS .*$/m);
    app.ports = JSON.parse(
      app.process.stdout.match(/^PORTS (.*)$/m)![1],
    ) as Ports;
    return app;
  }

  /** The process id of the deno process running aio. */
  get pid(): number {
    return this.process.child.pid;
  }

  /** Every STATS line so far. */
  stats(): Stats[] {
    return [...this.process.stdout.matchAll(/^STATS (.*)$/gm)].map((match) =>
      JSON.parse(match[1]) as Stats
    );
  }

  /** The counters `aio-stopped` printed, if it ran. */
  stopped(): Stopped | undefined {
    const match = this.process.stdout.match(/^STOPPED (.*)$/m);
    return match ? JSON.parse(match[1]) as Stopped : undefined;
  }
}

/** VmRSS of a process, in kB (Linux). */
export function rssKb(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(status.match(/^VmRSS:\s+(\d+)/m)![1]);
}

/** How many file descriptors a process has open (Linux). */
export function fdCount(pid: number): number {
  let count = 0;
  for (const _ of Deno.readDirSync(`/proc/${pid}/fd`)) count++;
  return count;
}
