/**
 * HTTP and HTTPS servers for `handler = REF`: `Deno.serve` with the user's
 * handler as is, so requests cost what bare `Deno.serve` costs.
 *
 * @module
 */

import type { BindOptions } from "./bind_options.ts";
import { getLogger } from "@logtape/logtape";
import { settlesWithin } from "./_deadline.ts";

const logger = getLogger(["aio", "server"]);

/** A fetch-style handler, as `Deno.serve` takes it. */
export type HttpHandler = (
  request: Request,
  info: Deno.ServeHandlerInfo,
) => Response | Promise<Response>;

/** Options for {@linkcode serveHttp}: with `cert` and `key` it speaks https. */
export type HttpServeOptions = BindOptions;

/**
 * Serves `handler`. A handler that throws (or rejects) is logged with the
 * server's name and answered with a 500; the server goes on. Throws what
 * `Deno.serve` throws when the address cannot be bound.
 *
 * @example
 * ```ts
 * import { serveHttp } from "./http.ts";
 * const server = serveHttp(() => new Response("hello"), { hostname: "127.0.0.1", port: 0 });
 * const response = await fetch(`http://127.0.0.1:${(server.addr as Deno.NetAddr).port}/`);
 * console.log(await response.text()); // "hello"
 * await server.close(1000);
 * ```
 */
export function serveHttp(
  handler: HttpHandler,
  options: HttpServeOptions = {},
): HttpServer {
  const name = options.name ?? "server";
  const common = {
    onListen: () => {},
    onError: (error: unknown) => {
      logger.error("Server {server}: handler failed: {error}", {
        server: name,
        error,
      });
      return new Response("Internal Server Error", { status: 500 });
    },
  };
  const tls = options.cert && options.key
    ? { cert: options.cert, key: options.key }
    : {};
  const server = options.path
    ? Deno.serve({ ...common, path: options.path }, handler)
    : Deno.serve({
      ...common,
      ...tls,
      hostname: options.hostname ?? "0.0.0.0",
      port: options.port ?? 0,
      reusePort: options.reusePort ?? false,
    }, handler);
  return new HttpServer(server, name);
}

/**
 * A running `Deno.serve` server with a deadline on its graceful shutdown.
 */
export class HttpServer {
  /** The server's name. */
  readonly name: string;
  /** The bound address (the real port when 0 was asked for). */
  readonly addr: Deno.Addr;
  readonly #server: Deno.HttpServer;
  #closing?: Promise<void>;

  /** Wraps a running `Deno.serve` server. */
  constructor(server: Deno.HttpServer, name: string) {
    this.#server = server;
    this.name = name;
    this.addr = server.addr;
  }

  /** The underlying `Deno.serve` server. */
  get server(): Deno.HttpServer {
    return this.#server;
  }

  /**
   * Stops accepting at once and lets requests in flight finish for up to
   * `timeoutMs` (default 0: no wait beyond Deno's own shutdown step).
   * Deno cannot cut a running request short, so one still running at the
   * deadline is left to finish on its own, the server no longer keeping
   * the process alive (`unref`); it is logged.
   */
  close(timeoutMs = 0): Promise<void> {
    this.#closing ??= this.#close(timeoutMs);
    return this.#closing;
  }

  async #close(timeoutMs: number): Promise<void> {
    const finished = this.#server.shutdown();
    // Give a shutdown with nothing in flight the few ticks it needs even
    // when no time was granted, so close() does not report requests
    // that were already done.
    if (await settlesWithin(finished, Math.max(timeoutMs, 20))) return;
    this.#server.unref();
    logger.warn(
      "Server {server}: requests still running after {timeoutMs} ms are left to finish",
      { server: this.name, timeoutMs },
    );
  }
}
