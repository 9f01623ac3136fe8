/**
 * The worker's side of `aio run` with workers: the supervisor starts `aio
 * run` with {@linkcode WORKER_ENV} set; that process runs the app as a
 * single process would, adapted to its role ({@linkcode adaptPlan}), and
 * talks to the supervisor over the control channel: it says when it has
 * started (or failed, or begins to stop), answers for its metrics, and takes
 * the one-worker parts over when told to. When the supervisor is gone (the
 * channel closes), it stops.
 *
 * @module
 */

import type { App, Plan } from "../app.ts";
import { getLogger } from "../logging.ts";
import type { ScheduleDefinition } from "../schedule/mod.ts";
import type { ResolvedServer, Server } from "../server/mod.ts";
import { Channel } from "./channel.ts";
import { CONTROL_HOST } from "./control_server.ts";
import { openConnections } from "../server/_listen_socket.ts";
import {
  type SupervisorMessage,
  WORKER_ENV,
  type WorkerMarker,
  type WorkerMessage,
} from "./messages.ts";
import {
  adaptPlan,
  onKnownPort,
  type OwnedParts,
  portZero,
  runsInEveryWorker,
} from "./roles.ts";

const logger = getLogger("aio.worker");

/** The variables a worker must not act on: systemd talks to the supervisor alone. */
const SUPERVISOR_ONLY_ENV = ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"];
/** How often a worker tells the supervisor its memory (ms). */
const STATS_INTERVAL_MS = 5000;
/**
 * How long HTTP servers that left their port keep the connections they
 * accepted open before Deno's shutdown closes those that sent no request
 * yet (ms of time this process ran: a worker starved of CPU gets longer,
 * up to {@linkcode MAX_READ_GRACE_MS}), unless every one of them is closed
 * sooner. A client may take a while between its connect and its request:
 * Go's http.Server gives a new connection 5 s before its shutdown counts
 * it idle. No new connection comes meanwhile.
 */
const READ_GRACE_MS = 5000;
/** The most that grace may take in wall time (ms), within half of `shutdown_timeout`. */
const MAX_READ_GRACE_MS = 10_000;
/** How often the grace looks whether the connections are all closed (ms; it reads `/proc`). */
const DRAINED_CHECK_MS = 100;
/** The step of {@linkcode awakeFor} (ms). */
const AWAKE_STEP_MS = 25;
/** How long a take-over retries a socket the last owner has not let go yet (ms). */
const REBIND_WAIT_MS = 2000;

/**
 * This process's link to its supervisor; undefined unless it was started
 * as a worker.
 */
export class WorkerLink {
  /** The worker's slot (1 to N). */
  readonly slot: number;
  readonly #marker: WorkerMarker;
  #channel: Channel<SupervisorMessage, WorkerMessage> | undefined;
  #app: App | undefined;
  #owner: boolean;
  #owned: OwnedParts = { servers: [], schedules: [] };
  /** The schedules this process runs now. */
  #armed: ScheduleDefinition[] = [];
  #portZero: string[] = [];
  #reportedSlots = new Set<string>();
  #pendingAdds = new Set<ReturnType<typeof setTimeout>>();
  #statsTimer: ReturnType<typeof setInterval> | undefined;
  #stopping = false;
  /** The supervisor stops every worker: no one takes this one's port over. */
  #final = false;
  #gone: Promise<void> = new Promise(() => {});
  #metricsRegistry: Promise<{ expose(): string }> | undefined;

  private constructor(marker: WorkerMarker) {
    this.#marker = marker;
    this.slot = marker.slot;
    this.#owner = marker.owner;
  }

  /**
   * This process's link, when {@linkcode WORKER_ENV} says it is a worker.
   * Takes the marker and systemd's variables out of the environment (the
   * processes the app starts are no workers, and only the supervisor
   * speaks to systemd).
   */
  static fromEnv(): WorkerLink | undefined {
    let text: string | undefined;
    try {
      text = Deno.env.get(WORKER_ENV);
    } catch {
      // Without access to it this is no worker of aio's: a supervisor
      // grants it to each worker (and refuses to start where it cannot).
      return undefined;
    }
    if (text === undefined) return undefined;
    for (const name of [WORKER_ENV, ...SUPERVISOR_ONLY_ENV]) {
      try {
        Deno.env.delete(name);
      } catch {
        // Not granted: then this process cannot read it either.
      }
    }
    const marker = parseMarker(text);
    if (!marker) {
      throw new Error(`${WORKER_ENV} does not hold a worker marker`);
    }
    return new WorkerLink(marker);
  }

  /** Whether this worker runs the one-worker parts now. */
  get owner(): boolean {
    return this.#owner;
  }

  /** Resolves when the supervisor is gone (the channel closed); the worker should stop then. */
  get gone(): Promise<void> {
    return this.#gone;
  }

  /**
   * Connects to the supervisor's control socket and says which process
   * this is. Throws when the socket cannot be reached.
   */
  async connect(app: App): Promise<void> {
    this.#app = app;
    const conn = await Deno.connect({
      hostname: CONTROL_HOST,
      port: this.#marker.port,
    });
    conn.setNoDelay(true);
    const channel = new Channel<SupervisorMessage, WorkerMessage>(conn);
    this.#channel = channel;
    await channel.send({
      type: "hello",
      token: this.#marker.token,
      pid: Deno.pid,
    });
    this.#gone = this.#listen(channel);
  }

  /**
   * Adapts the prepared plan to this worker (see {@linkcode adaptPlan}) and
   * keeps the owned parts for a take-over.
   */
  adapt(plan: Plan): void {
    this.#portZero = portZero(plan.servers);
    plan.schedules = plan.schedules.map((def) =>
      runsInEveryWorker(def) ? def : this.#reportingSlot(def)
    );
    this.#owned = adaptPlan(plan, {
      owner: this.#owner,
      ports: this.#marker.ports,
    });
    this.#armed = [...plan.schedules];
  }

  /** Tells the supervisor the app has started (after `aio-started`), with the ports it bound for `port = 0`. */
  started(): void {
    this.#send({ type: "started", ports: this.#boundPorts(), rss: rss() });
    if (this.#owner) this.#sendOwned();
    this.#statsTimer = setInterval(
      () => this.#send({ type: "stats", rss: rss() }),
      STATS_INTERVAL_MS,
    );
    Deno.unrefTimer(this.#statsTimer);
  }

  /** Tells the supervisor the start failed, with the process's exit code and error lines. */
  async failed(exitCode: number, text: string): Promise<void> {
    await this.#send({ type: "failed", exitCode, text });
  }

  /** Tells the supervisor the stop has begun. */
  stopping(): void {
    this.#stopping = true;
    this.#send({ type: "stopping" });
  }

  /**
   * Before the app stops: its HTTP servers leave their ports first (the
   * other workers take the new connections) and get a moment to read the
   * requests of connections they had just accepted, which Deno's shutdown
   * would close unread; an owner lets its one-worker parts go (its udp and
   * unix sockets closed, its schedules disarmed) and says so, so that the
   * next owner can bind them while this one drains.
   */
  async release(): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#statsTimer);
    for (const timer of this.#pendingAdds) clearTimeout(timer);
    this.#pendingAdds.clear();
    const app = this.#app;
    if (!app) return;
    const left = await leavePorts(app);
    if (this.#owner) {
      this.#owner = false;
      const owned = new Set(this.#owned.schedules.map((def) => def.name));
      this.#armed = this.#armed.filter((def) => !owned.has(def.name));
      app.updateSchedules(this.#armed);
      await Promise.all(this.#owned.servers.map(async ({ spec }) => {
        const server = app.servers[spec.name] as
          | (Server & { stopAccepting?: () => Promise<void> })
          | undefined;
        try {
          await server?.stopAccepting?.();
        } catch {
          // Its close, in the stop, says what went wrong.
        }
      }));
      await this.#send({ type: "released" });
    }
    // Handing the port over to the other workers: the connections this one
    // accepted get time to send their request. Not when every worker stops
    // (the supervisor says so, perhaps during the wait): no one takes over.
    if (left.length > 0 && !this.#final) {
      const drained = drainedCheck(left);
      await awakeFor(
        READ_GRACE_MS,
        Math.min(MAX_READ_GRACE_MS, app.shutdownTimeoutMs / 2),
        () => this.#final || drained(),
      );
    }
  }

  /** Closes the channel. */
  close(): void {
    clearInterval(this.#statsTimer);
    for (const timer of this.#pendingAdds) clearTimeout(timer);
    this.#channel?.close();
  }

  async #listen(
    channel: Channel<SupervisorMessage, WorkerMessage>,
  ): Promise<void> {
    for await (const message of channel.messages()) {
      try {
        if (message.type === "own") {
          await this.#takeOver(message.anchors, message.ports);
        } else if (message.type === "final") {
          this.#final = true;
        } else if (message.type === "metrics") {
          const text = await this.#exposition();
          this.#send({ type: "metrics", id: message.id, text });
        }
      } catch (error) {
        logger.error("Worker {slot}: handling {message} failed: {error}", {
          slot: this.slot,
          message: message.type,
          error,
        });
      }
    }
  }

  /** Starts the one-worker parts here: the last owner died or was replaced. */
  async #takeOver(
    anchors: Record<string, number>,
    ports: Record<string, number>,
  ): Promise<void> {
    const app = this.#app;
    if (this.#owner || this.#stopping || !app?.running) return;
    this.#owner = true;
    const { servers, schedules } = this.#owned;
    logger.info(
      "Worker {slot} takes over {servers} server(s) and {schedules} schedule(s)",
      { slot: this.slot, servers: servers.length, schedules: schedules.length },
    );
    const started = await this.#startServers(
      app,
      servers.map((server) => onKnownPort(server, ports)),
    );
    for (const def of schedules) {
      const delay = delayToGrid(def, anchors[def.name], Date.now());
      if (delay <= 0) {
        this.#arm(app, def);
        continue;
      }
      const timer = setTimeout(() => {
        this.#pendingAdds.delete(timer);
        this.#arm(app, def);
      }, delay);
      this.#pendingAdds.add(timer);
    }
    this.#sendOwned(started);
  }

  #arm(app: App, def: ScheduleDefinition): void {
    if (!this.#owner || this.#armed.some((armed) => armed.name === def.name)) {
      return;
    }
    this.#armed = [...this.#armed, def];
    app.updateSchedules(this.#armed);
  }

  async #startServers(
    app: App,
    servers: readonly ResolvedServer[],
  ): Promise<string[]> {
    if (servers.length === 0) return [];
    const { startServers } = await import("../server/mod.ts");
    const started: string[] = [];
    for (const item of servers) {
      const deadline = performance.now() + REBIND_WAIT_MS;
      while (true) {
        try {
          const running = await startServers([item], {
            shutdownTimeoutMs: app.shutdownTimeoutMs,
          });
          app.servers = { ...app.servers, ...running };
          started.push(item.spec.name);
          break;
        } catch (error) {
          if (performance.now() < deadline && addrInUse(error)) {
            await new Promise((resolve) => setTimeout(resolve, 50));
            continue;
          }
          logger.error(
            "Worker {slot}: cannot take over server {server}: {error}",
            { slot: this.slot, server: item.spec.name, error },
          );
          break;
        }
      }
    }
    return started;
  }

  #sendOwned(servers?: string[]): void {
    this.#send({
      type: "owned",
      servers: servers ?? this.#owned.servers.map(({ spec }) => spec.name)
        .filter((name) => name in (this.#app?.servers ?? {})),
      schedules: this.#owned.schedules.map((def) => def.name),
      ports: this.#boundPorts(),
    });
  }

  /** The ports this process bound for its `port = 0` servers. */
  #boundPorts(): Record<string, number> {
    const ports: Record<string, number> = {};
    for (const name of this.#portZero) {
      const addr = this.#app?.servers[name]?.addr;
      if (addr && "port" in addr) ports[name] = addr.port;
    }
    return ports;
  }

  /** Wraps a start-anchored `every` schedule so that its first run here tells the supervisor where its grid lies. */
  #reportingSlot(def: ScheduleDefinition): ScheduleDefinition {
    if (!startAnchored(def)) return def;
    const func = def.func;
    return {
      ...def,
      func: (name, event) => {
        if (!this.#reportedSlots.has(name)) {
          this.#reportedSlots.add(name);
          this.#send({
            type: "slot",
            schedule: name,
            at: event.scheduledAt.getTime(),
          });
        }
        return func(name, event);
      },
    };
  }

  /** The app's metrics page (`[aio/health]`), or this process's own figures when the app keeps none. */
  async #exposition(): Promise<string> {
    const registry = this.#app?.health?.metrics.registry;
    if (registry) return registry.expose();
    this.#metricsRegistry ??= import("../metrics/mod.ts").then((module) => {
      const registry = new module.Registry();
      module.registerProcessMetrics(registry);
      return registry;
    });
    return (await this.#metricsRegistry).expose();
  }

  #send(message: WorkerMessage): Promise<void> {
    return this.#channel?.send(message) ?? Promise.resolve();
  }
}

/**
 * Takes the app's HTTP servers out of their ports (see
 * `HttpServer.stopListening`); returns the ports of those that left.
 */
async function leavePorts(app: App): Promise<number[]> {
  const running = Object.values(app.servers);
  if (running.length === 0) return [];
  const { HttpServer, RunningServer } = await import("../server/mod.ts");
  const left: number[] = [];
  for (const server of running) {
    if (!(server instanceof RunningServer)) continue;
    const inner = server.server;
    if (!(inner instanceof HttpServer)) continue;
    if (inner.stopListening()) {
      const addr = inner.addr;
      if ("port" in addr) left.push(addr.port);
      logger.debug("Server {server} left its port", { server: server.name });
    } else {
      logger.debug(
        "Server {server} cannot leave its port first (Linux and -A only): its connections not yet read close with the stop",
        { server: server.name },
      );
    }
  }
  return left;
}

/**
 * Whether this process holds no connection on `ports` any more (read from
 * `/proc` at most every {@linkcode DRAINED_CHECK_MS}); false where it
 * cannot tell.
 */
function drainedCheck(ports: readonly number[]): () => boolean {
  let checkedAt = -Infinity;
  let drained = false;
  return () => {
    const now = performance.now();
    if (now - checkedAt >= DRAINED_CHECK_MS) {
      checkedAt = now;
      drained = openConnections(ports) === 0;
    }
    return drained;
  };
}

/**
 * Waits until the event loop has run for `ms` (steps of 25 ms that fired
 * on time count; a late one, the process starved of CPU, counts for its
 * due 25 ms only), or until `maxMs` of wall time have passed. Deno's HTTP
 * connections are served on the same thread, so time the loop ran is time
 * they were read. Ends early once `done()` is true.
 */
async function awakeFor(
  ms: number,
  maxMs: number,
  done: () => boolean = () => false,
): Promise<void> {
  const end = performance.now() + maxMs;
  let awake = 0;
  while (awake < ms && performance.now() < end && !done()) {
    const before = performance.now();
    await new Promise((resolve) => setTimeout(resolve, AWAKE_STEP_MS));
    const took = performance.now() - before;
    // A step that fired late means the loop did not run meanwhile.
    awake += took <= AWAKE_STEP_MS * 2 ? took : AWAKE_STEP_MS;
  }
}

/** Whether `def` is an `every` schedule whose slots start at the start (not the epoch). */
function startAnchored(def: ScheduleDefinition): boolean {
  return def.every !== undefined &&
    (def.anchor ?? (def.claim ? "epoch" : "start")) === "start";
}

/**
 * How long to wait before arming `def` here so that its runs stay on the
 * grid the last owner had (`anchor`, one of its slots, wall ms): 0 for
 * schedules whose slots do not depend on when they were armed, or when the
 * grid is not known.
 */
export function delayToGrid(
  def: ScheduleDefinition,
  anchor: number | undefined,
  now: number,
): number {
  if (!startAnchored(def) || anchor === undefined) return 0;
  const period = def.every! * 1000;
  const behind = ((now - anchor) % period + period) % period;
  return behind === 0 ? 0 : period - behind;
}

function parseMarker(text: string): WorkerMarker | undefined {
  try {
    const value = JSON.parse(text);
    if (
      typeof value?.slot === "number" && typeof value.port === "number" &&
      typeof value.token === "string"
    ) {
      return {
        slot: value.slot,
        port: value.port,
        token: value.token,
        owner: value.owner === true,
        ports: typeof value.ports === "object" && value.ports
          ? value.ports
          : {},
      };
    }
  } catch {
    // Not JSON.
  }
  return undefined;
}

function addrInUse(error: unknown): boolean {
  for (let cause = error; cause; cause = (cause as Error).cause) {
    if (cause instanceof Deno.errors.AddrInUse) return true;
    if (!(cause instanceof Error)) break;
  }
  return false;
}

function rss(): number {
  try {
    return Deno.memoryUsage().rss;
  } catch {
    return 0;
  }
}
