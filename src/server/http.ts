/**
 * HTTP and HTTPS servers for `handler = REF`: `Deno.serve` calling the
 * user's handler through one indirection (so a reload can swap it), with
 * Deno's fast path for handlers that take no request kept.
 *
 * When Deno.serve's accept loop dies (it ends on the first failed accept,
 * such as EMFILE when the process is out of file descriptors), the server
 * is started again on the same address, 5 ms doubling to 1 s between
 * tries; connections already open go on.
 *
 * @module
 */

import type { BindOptions } from "./bind_options.ts";
import { getLogger } from "@logtape/logtape";
import { settlesWithin } from "./_deadline.ts";
import { AcceptRetry, logAcceptReport, MAX_RETRY_MS } from "./_accept_retry.ts";
import { removeStaleSocket } from "./_socket_file.ts";
import { shutdownListeningSocket } from "./_listen_socket.ts";
import { REUSE_PORT_NEEDS_FLAG, unstableNetEnabled } from "./_unstable.ts";
import type { ObserverOptions, ServerObserver } from "./observer.ts";

const logger = getLogger(["aio", "server"]);

/**
 * A fetch-style handler, as `Deno.serve` takes it: what a
 * `[server/NAME] handler = REF` line names.
 *
 * @example A handler for `handler = ./hello.ts#hello`
 * ```ts
 * import type { HttpHandler } from "@aio/app";
 * export const hello: HttpHandler = (request) => {
 *   const name = new URL(request.url).searchParams.get("name") ?? "world";
 *   return new Response(`Hello, ${name}!\n`);
 * };
 * ```
 */
export type HttpHandler = (
  request: Request,
  info: Deno.ServeHandlerInfo,
) => Response | Promise<Response>;

/** Options for {@linkcode serveHttp}: with `cert` and `key` it speaks https. */
export interface HttpServeOptions extends BindOptions, ObserverOptions {}

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
  return new HttpServer(handler, options);
}

/**
 * A running `Deno.serve` server: a deadline on its graceful shutdown, a
 * handler that can be replaced while it runs, and a restart on the same
 * address when Deno's accept loop dies. aio makes one for each
 * `[server/NAME]` with a `handler`.
 *
 * @example Serving a handler and closing it with a deadline
 * ```ts
 * import { HttpServer } from "@aio/app";
 * const server = new HttpServer(() => new Response("hi"), {
 *   hostname: "127.0.0.1",
 *   port: 0,
 * });
 * console.log((server.addr as Deno.NetAddr).port);
 * await server.close(1000);
 * ```
 */
export class HttpServer {
  /** The bound address (the real port when 0 was asked for). */
  readonly addr: Deno.Addr;
  readonly #options: HttpServeOptions;
  readonly #dispatch: HttpHandler;
  readonly #takesRequest: boolean;
  readonly #retry: AcceptRetry;
  readonly #observer?: ServerObserver;
  readonly #observedName: string;
  #name: string;
  #handler: HttpHandler;
  #server: Deno.HttpServer;
  /** Servers whose accept loop died, shutting down while their open connections finish. */
  readonly #retired = new Set<Deno.HttpServer>();
  #restartTimer?: ReturnType<typeof setTimeout>;
  #closing?: Promise<void>;
  #listenerStopped = false;

  /** Serves `handler` where `options` says; throws what `Deno.serve` throws. */
  constructor(handler: HttpHandler, options: HttpServeOptions = {}) {
    if (options.reusePort && !options.path && !unstableNetEnabled()) {
      // Deno.serve ends the process (it does not throw) without the flag.
      throw new Error(REUSE_PORT_NEEDS_FLAG);
    }
    this.#options = options;
    this.#name = options.name ?? "server";
    this.#handler = handler;
    // Deno builds no Request for a handler that declares no parameter;
    // the indirection keeps that when the handler does.
    this.#takesRequest = handler.length > 0;
    this.#observer = options.observer;
    this.#observedName = options.observedName ?? this.#name;
    this.#dispatch = this.#makeDispatch();
    this.#retry = new AcceptRetry((report) =>
      logAcceptReport(this.#name, report)
    );
    this.#server = this.#listen(options.port ?? 0);
    this.addr = this.#server.addr;
  }

  /** The server's name, for log messages. */
  get name(): string {
    return this.#name;
  }

  /** The running `Deno.serve` server. */
  get server(): Deno.HttpServer {
    return this.#server;
  }

  /** Whether {@linkcode HttpServer.replaceHandler} can take `handler`. */
  canServe(handler: HttpHandler): boolean {
    return handler.length === 0 || this.#takesRequest;
  }

  /**
   * Serves requests that arrive from now on with `handler`; requests
   * already running finish on the old one. Returns false (and changes
   * nothing) when `handler` takes a request but the server was started
   * with one that takes none: Deno then builds no Request to give it.
   */
  replaceHandler(handler: HttpHandler, name: string = this.#name): boolean {
    if (!this.canServe(handler)) return false;
    this.#handler = handler;
    this.#name = name;
    return true;
  }

  /**
   * Takes the listening socket out of its port while every connection
   * already accepted goes on (see `_listen_socket.ts`: Linux and `-A`
   * only); `close()` then drains them. With `reuse_port`, new connections
   * go to the other processes on the port. Returns false, changing
   * nothing, where it cannot.
   */
  stopListening(): boolean {
    if (this.#closing || this.#listenerStopped) return this.#listenerStopped;
    const addr = this.addr;
    if (!("hostname" in addr)) return false;
    if (!shutdownListeningSocket(addr.hostname, addr.port)) return false;
    this.#listenerStopped = true;
    clearTimeout(this.#restartTimer);
    return true;
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
    clearTimeout(this.#restartTimer);
    const servers = [this.#server, ...this.#retired];
    const finished = Promise.all(
      servers.map((server) => server.shutdown().catch(() => {})),
    );
    // Give a shutdown with nothing in flight the few ticks it needs even
    // when no time was granted, so close() does not report requests
    // that were already done.
    if (await settlesWithin(finished, Math.max(timeoutMs, 20))) return;
    for (const server of servers) server.unref();
    logger.warn(
      "Server {server}: requests still running after {timeoutMs} ms are left to finish",
      { server: this.#name, timeoutMs },
    );
  }

  /**
   * The function Deno.serve calls: the current handler, with as many
   * parameters as it declares, and the response's status reported when
   * an observer wants it (only then: it costs a wrapper per response).
   */
  #makeDispatch(): HttpHandler {
    const observer = this.#observer;
    if (!observer?.httpResponse) {
      return this.#takesRequest
        ? (request, info) => this.#handler(request, info)
        : () => (this.#handler as () => Response | Promise<Response>)();
    }
    const name = this.#observedName;
    const report = (response: Response): Response => {
      observer.httpResponse!(name, response.status);
      return response;
    };
    const observed = (result: Response | Promise<Response>) =>
      result instanceof Promise ? result.then(report) : report(result);
    return this.#takesRequest
      ? (request, info) => observed(this.#handler(request, info))
      : () => observed((this.#handler as () => Response | Promise<Response>)());
  }

  /** Starts Deno.serve on the server's address (`port`: the bound one, on a restart). */
  #listen(port: number): Deno.HttpServer {
    const options = this.#options;
    const common = {
      onListen: () => {},
      onError: (error: unknown) => {
        logger.error("Server {server}: handler failed: {error}", {
          server: this.#name,
          error,
        });
        this.#observer?.httpResponse?.(this.#observedName, 500);
        return new Response("Internal Server Error", { status: 500 });
      },
    };
    let server: Deno.HttpServer;
    if (options.path) {
      removeStaleSocket(options.path);
      server = Deno.serve({ ...common, path: options.path }, this.#dispatch);
    } else {
      const tls = options.cert && options.key
        ? { cert: options.cert, key: options.key }
        : {};
      server = Deno.serve({
        ...common,
        ...tls,
        hostname: options.hostname ?? "0.0.0.0",
        port,
        reusePort: options.reusePort ?? false,
      }, this.#dispatch);
    }
    server.finished.catch((error) => this.#died(server, error));
    return server;
  }

  /** Deno's accept loop ended with an error: serve again on the same address. */
  #died(server: Deno.HttpServer, error: unknown): void {
    if (this.#closing || this.#listenerStopped || server !== this.#server) {
      return;
    }
    this.#observer?.acceptFailed?.(this.#observedName);
    // Its requests in flight finish; then its resources are released.
    this.#retired.add(server);
    server.shutdown().catch(() => {}).finally(() =>
      this.#retired.delete(server)
    );
    this.#scheduleRestart(error);
  }

  #scheduleRestart(error: unknown): void {
    const delay = this.#retry.failed(error);
    this.#restartTimer = setTimeout(() => this.#restart(), delay);
  }

  #restart(): void {
    if (this.#closing) return;
    const port = "port" in this.addr ? this.addr.port : 0;
    let server: Deno.HttpServer;
    try {
      server = this.#listen(port);
    } catch (error) {
      this.#scheduleRestart(error);
      return;
    }
    this.#server = server;
    // A restarted server that keeps running for the longest retry wait
    // has recovered; one that dies sooner keeps the wait growing.
    const settled = setTimeout(() => {
      if (this.#server === server) this.#retry.succeeded();
    }, MAX_RETRY_MS);
    Deno.unrefTimer(settled);
  }
}
