/**
 * The health server: a small HTTP server of its own, apart from the app's
 * servers, answering `/healthz`, `/readyz` and `/metrics`.
 *
 * @module
 */

import { AioError, firstLine } from "../errors.ts";
import { getLogger } from "../logging.ts";
import { PROMETHEUS_CONTENT_TYPE, Registry } from "../metrics/registry.ts";
import type { Readiness } from "./readiness.ts";

const logger = getLogger("aio.health");
/** How long a close waits for requests in flight (they are all quick). */
const CLOSE_TIMEOUT_MS = 1000;

/** What the health server answers from. */
export interface HealthServerOptions {
  /** The address to listen on (default 127.0.0.1). */
  hostname?: string;
  /** The port (0 picks a free one). */
  port: number;
  /** `/readyz` answers from this. */
  readiness: Readiness;
  /** `/metrics` shows this registry, or what this function returns (a supervisor's merged page). */
  metrics: Registry | (() => string | Promise<string>);
}

/** A running health server. */
export interface HealthServer {
  /** The bound address (the real port when 0 was asked for). */
  readonly addr: Deno.NetAddr;
  /** Stops it (requests in flight get up to a second). */
  close(): Promise<void>;
}

/**
 * Starts the health server. Answers GET and HEAD:
 * - `/healthz`: 200 whenever the event loop gets to answer (liveness);
 * - `/readyz`: 200 while `readiness` is ready, else 503;
 * - `/metrics`: the text exposition format 0.0.4;
 * - anything else 404; other methods 405.
 *
 * Throws an {@linkcode AioError} naming the address when it cannot bind.
 *
 * @example
 * ```ts
 * import { Registry } from "../metrics/registry.ts";
 * import { Readiness } from "./readiness.ts";
 * import { startHealthServer } from "./server.ts";
 * const readiness = new Readiness();
 * const server = startHealthServer({ port: 0, readiness, metrics: new Registry() });
 * const response = await fetch(`http://127.0.0.1:${server.addr.port}/readyz`);
 * console.log(response.status); // 503: not started yet
 * await response.body?.cancel();
 * await server.close();
 * ```
 */
export function startHealthServer(options: HealthServerOptions): HealthServer {
  const hostname = options.hostname ?? "127.0.0.1";
  const { readiness } = options;
  const source = options.metrics;
  const metrics = source instanceof Registry ? () => source.expose() : source;
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname,
      port: options.port,
      onListen: () => {},
      onError: (error) => {
        logger.error("Health server: {error}", { error });
        return new Response("Internal Server Error\n", { status: 500 });
      },
    }, async (request) => {
      const head = request.method === "HEAD";
      if (!head && request.method !== "GET") {
        return answer(405, "Method Not Allowed\n", { allow: "GET, HEAD" });
      }
      const reply = (status: number, body: string, type?: string) =>
        answer(
          status,
          head ? null : body,
          type ? { "content-type": type } : {},
        );
      switch (new URL(request.url).pathname) {
        case "/healthz":
          return reply(200, "ok\n");
        case "/readyz":
          return readiness.isReady
            ? reply(200, "ready\n")
            : reply(503, `not ready: ${readiness.phase}\n`);
        case "/metrics":
          return reply(200, await metrics(), PROMETHEUS_CONTENT_TYPE);
        default:
          return reply(404, "Not Found\n");
      }
    });
  } catch (error) {
    throw new AioError(
      `Cannot start the health server [aio/health] on ${hostname}:${options.port}: ${
        firstLine(error instanceof Error ? error.message : String(error))
      }`,
      { cause: error },
    );
  }
  let closing: Promise<void> | undefined;
  return {
    addr: server.addr,
    close: () =>
      closing ??= (async () => {
        const finished = server.shutdown();
        let timer: ReturnType<typeof setTimeout> | undefined;
        const late = new Promise<"late">((resolve) =>
          timer = setTimeout(() => resolve("late"), CLOSE_TIMEOUT_MS)
        );
        if (await Promise.race([finished, late]) === "late") server.unref();
        clearTimeout(timer);
      })(),
  };
}

function answer(
  status: number,
  body: string | null,
  headers: Record<string, string>,
): Response {
  return new Response(body, {
    status,
    headers: {
      "content-type": "text/plain; charset=utf-8",
      "cache-control": "no-store",
      ...headers,
    },
  });
}
