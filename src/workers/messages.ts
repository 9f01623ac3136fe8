/**
 * What a supervisor and its workers say to each other over the control
 * channel, and the marker that makes an `aio run` process a worker.
 *
 * @module
 */

/** The environment variable that makes `aio run` a worker: {@linkcode WorkerMarker} as JSON. */
export const WORKER_ENV = "AIO_WORKER";

/** What a worker is told at spawn, through {@linkcode WORKER_ENV}. */
export interface WorkerMarker {
  /** The worker's slot, 1 to N: its `worker` label, kept across restarts. */
  slot: number;
  /** The port of the supervisor's control socket on 127.0.0.1. */
  port: number;
  /** A secret this process presents first, so the supervisor knows which process it is. */
  token: string;
  /** Whether it starts as the owner: it runs the one-worker parts from its start. */
  owner: boolean;
  /** The ports the supervisor knows for `port = 0` servers, by server NAME. */
  ports: Record<string, number>;
}

/** Supervisor to worker. */
export type SupervisorMessage =
  /** Take over the one-worker parts (schedules, udp, unix and factory servers). */
  | {
    type: "own";
    /** A past slot (wall ms) of each start-anchored `every` schedule, so the grid stays where it was. */
    anchors: Record<string, number>;
    /** The ports the supervisor knows for `port = 0` servers, by NAME. */
    ports: Record<string, number>;
  }
  /** Send the metrics exposition. */
  | { type: "metrics"; id: number }
  /**
   * The whole app stops (sent before the stop signal): no other worker
   * takes this one's port over, so it stops as a single process does,
   * without the grace a worker handing its port over gives the
   * connections it has accepted.
   */
  | { type: "final" };

/** Worker to supervisor. */
export type WorkerMessage =
  /** The first message: which process this is. */
  | { type: "hello"; token: string; pid: number }
  /** `aio-started` has run; the ports of its `port = 0` servers. */
  | { type: "started"; ports: Record<string, number>; rss: number }
  /** The start failed; the process exits with `exitCode`. */
  | { type: "failed"; exitCode: number; text: string }
  /** The stop has begun (a signal reached it). */
  | { type: "stopping" }
  /** The one-worker parts are let go: their sockets are free for the next owner. */
  | { type: "released" }
  /** It now runs the one-worker parts; the ports its `port = 0` ones got. */
  | {
    type: "owned";
    servers: string[];
    schedules: string[];
    ports: Record<string, number>;
  }
  /** The first slot a start-anchored `every` schedule ran in this process (wall ms). */
  | { type: "slot"; schedule: string; at: number }
  /** The answer to a `metrics` request. */
  | { type: "metrics"; id: number; text: string }
  /** Its resident memory now, sent every few seconds. */
  | { type: "stats"; rss: number };
