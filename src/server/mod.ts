/**
 * Starting and stopping the servers a config declares (SPEC 6): each
 * `[server/NAME]` section becomes a running {@linkcode Server}.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import type { ConfigParser } from "../config/config_parser.ts";
import { ConfigError, errorAt, formatSource } from "../config/errors.ts";
import { AioError, ConfigErrors, firstLine } from "../errors.ts";
import type { ModuleLoader } from "../refs.ts";
import { Problems } from "../config/problems.ts";
import { settlesWithin } from "./_deadline.ts";
import {
  readServerSpec,
  type RefOption,
  SERVER_SECTION_PREFIX,
  type ServerSpec,
} from "./config.ts";
import { createServer } from "./factory.ts";
import { type HttpHandler, HttpServer, serveHttp } from "./http.ts";
import { StreamServer } from "./tcp.ts";
import type { ProtocolClass } from "./transport.ts";
import { DatagramServer } from "./udp.ts";

export { readServerSpec } from "./config.ts";
export type { RefOption, ServerSpec, ServerTransport } from "./config.ts";
export { createServer } from "./factory.ts";
export type { BindOptions } from "./bind_options.ts";
export type { CreateServerOptions, ProtocolServer } from "./factory.ts";
export { HttpServer } from "./http.ts";
export type { HttpHandler } from "./http.ts";
export { StreamServer } from "./tcp.ts";
export { StreamTransport } from "./transport.ts";
export { DatagramServer } from "./udp.ts";
export type { Protocol, ProtocolClass, Transport } from "./transport.ts";
export type {
  DatagramProtocol,
  DatagramProtocolClass,
  DatagramTransport,
} from "./udp.ts";

const logger = getLogger(["aio", "server"]);
/** Extra time a user's `close()` gets beyond the shutdown timeout before we stop waiting. */
const USER_CLOSE_GRACE_MS = 1000;

/** A running server, as `app.servers[NAME]` holds it. */
export interface Server {
  /** NAME from `[server/NAME]`. */
  readonly name: string;
  /** The bound address; the real port when 0 was asked for. */
  readonly addr: Deno.Addr;
  /** Stops the server. */
  close(): Promise<void> | void;
}

/**
 * A `factory = REF` function: it gets the section's name, its loaded
 * `protocol` (undefined when the section has none), `address` and `port`,
 * plus the section's other settings, and returns (or resolves to) a server
 * with `close()`.
 */
export type ServerFactory = (
  name: string,
  protocol: ProtocolClass | undefined,
  address: string,
  port: number | undefined,
  options: FactoryOptions,
) => unknown;

/** The section's other settings, as a factory's fifth argument. */
export interface FactoryOptions {
  /** The transport (`tcp` unless given). */
  transport: string;
  /** The unix socket path, if given. */
  path?: string;
  /** The certificate, PEM text. */
  cert?: string;
  /** The private key, PEM text. */
  key?: string;
  /** `reuse_port`. */
  reusePort: boolean;
}

/**
 * A server started from a section: `close(timeoutMs?)` stops accepting at
 * once, lets open connections and requests finish for up to `timeoutMs`
 * (default: the `shutdownTimeoutMs` given to {@linkcode startServers}, else
 * 0), then aborts the rest.
 */
export class RunningServer implements Server {
  /** NAME from `[server/NAME]`. */
  readonly name: string;
  /** The bound address; the real port when 0 was asked for. */
  readonly addr: Deno.Addr;
  /** What the factory (or aio) made: a StreamServer, DatagramServer, HttpServer or a factory's own object. */
  readonly server: { close(...args: unknown[]): unknown };
  readonly #defaultTimeoutMs: number;
  #closing?: Promise<void>;

  /** Wraps `server`, started for section NAME. */
  constructor(
    name: string,
    addr: Deno.Addr,
    server: { close(...args: unknown[]): unknown },
    defaultTimeoutMs = 0,
  ) {
    this.name = name;
    this.addr = addr;
    this.server = server;
    this.#defaultTimeoutMs = defaultTimeoutMs;
  }

  /** Stops the server; see {@linkcode RunningServer}. Calling it again returns the same promise. */
  close(timeoutMs = this.#defaultTimeoutMs): Promise<void> {
    this.#closing ??= this.#close(timeoutMs);
    return this.#closing;
  }

  async #close(timeoutMs: number): Promise<void> {
    const server = this.server;
    if (
      server instanceof StreamServer || server instanceof HttpServer ||
      server instanceof DatagramServer
    ) {
      await server.close(timeoutMs);
      return;
    }
    // A factory's own server may know nothing of deadlines (node's
    // net.Server.close waits for every connection): wait, but not forever.
    const closing = Promise.resolve().then(() => server.close());
    if (!await settlesWithin(closing, timeoutMs + USER_CLOSE_GRACE_MS)) {
      logger.warn("Server {server}: close() did not finish in time", {
        server: this.name,
      });
      return;
    }
    await closing;
  }
}

/**
 * Starts every `[server/NAME]` section, in `config.sections()` order. All
 * sections are checked first (every problem reported, as
 * {@linkcode ConfigErrors} when there are several), then every reference is
 * loaded, then the servers start. When one cannot start, every server
 * already started is closed and an {@linkcode AioError} names the section,
 * address and port.
 *
 * @returns The running servers by NAME.
 *
 * @example
 * ```ts
 * import { ConfigParser } from "../config/config_parser.ts";
 * import { ModuleLoader } from "../refs.ts";
 * import { startServers, stopServers } from "./mod.ts";
 * const config = new ConfigParser().readString(
 *   "[server/hello]\nhandler = ./hello.ts#handler\naddress = 127.0.0.1\nport = 0\n",
 *   "app.conf",
 * );
 * const servers = await startServers(config, new ModuleLoader(), {
 *   shutdownTimeoutMs: 10_000,
 * });
 * console.log(servers.hello.addr);
 * await stopServers(servers, 10_000);
 * ```
 */
export async function startServers(
  config: ConfigParser,
  loader: ModuleLoader,
  options: { shutdownTimeoutMs?: number } = {},
): Promise<Record<string, Server>> {
  const { loaded, errors } = await loadServers(config, loader);
  throwAll(errors);
  const servers: Record<string, Server> = {};
  try {
    for (const item of loaded) {
      servers[item.spec.name] = await startOne(
        item,
        options.shutdownTimeoutMs ?? 0,
      );
    }
  } catch (error) {
    await stopServers(servers, 0);
    throw error;
  }
  return servers;
}

/**
 * Every problem with the config's `[server/NAME]` sections, their
 * references loaded and checked, nothing bound: what `aio check` reports.
 */
export async function checkServers(
  config: ConfigParser,
  loader: ModuleLoader,
): Promise<ConfigError[]> {
  return (await loadServers(config, loader)).errors;
}

/** Reads every server section and loads its references, collecting every problem. */
async function loadServers(
  config: ConfigParser,
  loader: ModuleLoader,
): Promise<{ loaded: LoadedSpec[]; errors: ConfigError[] }> {
  const loaded: LoadedSpec[] = [];
  const problems = new Problems();
  for (const section of config.sections()) {
    if (!section.startsWith(SERVER_SECTION_PREFIX)) continue;
    const spec = readServerSpec(config, section, problems);
    if (!spec) continue;
    const item = await problems.collectAsync(() => loadSpec(spec, loader));
    if (item) loaded.push(item);
  }
  return { loaded, errors: problems.errors };
}

/**
 * Stops `servers` together: each stops accepting at once, lets open
 * connections and in-flight HTTP requests finish for up to `timeoutMs`,
 * then aborts what is left (protocols get `connectionLost`). Never
 * rejects: a server that fails to close is logged.
 */
export async function stopServers(
  servers: Record<string, Server>,
  timeoutMs: number,
): Promise<void> {
  await Promise.all(
    Object.values(servers).map(async (server) => {
      try {
        if (server instanceof RunningServer) await server.close(timeoutMs);
        else await server.close();
      } catch (error) {
        logger.error("Server {server}: close failed: {error}", {
          server: server.name,
          error,
        });
      }
    }),
  );
}

interface LoadedSpec {
  spec: ServerSpec;
  protocol?: ProtocolClass;
  factory?: ServerFactory;
  handler?: HttpHandler;
}

async function loadSpec(
  spec: ServerSpec,
  loader: ModuleLoader,
): Promise<LoadedSpec> {
  const load = (ref: RefOption, kind: "class" | "function") =>
    loader.load(ref.value, {
      section: spec.section,
      option: ref.option,
      source: ref.source,
    }, kind);
  return {
    spec,
    protocol: spec.protocol
      ? await load(spec.protocol, "class") as ProtocolClass
      : undefined,
    factory: spec.factory
      ? await load(spec.factory, "function") as ServerFactory
      : undefined,
    handler: spec.handler
      ? await load(spec.handler, "function") as HttpHandler
      : undefined,
  };
}

async function startOne(
  loaded: LoadedSpec,
  defaultTimeoutMs: number,
): Promise<RunningServer> {
  const { spec } = loaded;
  let server: { close(...args: unknown[]): unknown; addr?: unknown };
  try {
    server = await openServer(loaded);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new AioError(
      `Cannot start server [${spec.section}] on ${where(spec)}: ${
        firstLine(reason)
      }`,
      { cause: error },
    );
  }
  const running = new RunningServer(
    spec.name,
    addrOf(server, spec),
    server,
    defaultTimeoutMs,
  );
  logger.info("Server {server} listening on {address}", {
    server: spec.name,
    address: formatAddr(running.addr),
  });
  return running;
}

/**
 * The name a server's failures are logged under: the section's name with
 * the reference that failed and where the config names it, as listeners
 * and schedules are logged.
 */
function logLabel(spec: ServerSpec): string {
  const ref = spec.handler ?? spec.protocol;
  if (!ref) return spec.name;
  return `${spec.name} (${ref.value}, ${
    formatSource(ref.source.file, ref.source.line)
  })`;
}

async function openServer(
  loaded: LoadedSpec,
): Promise<{ close(...args: unknown[]): unknown; addr?: unknown }> {
  const { spec } = loaded;
  if (loaded.handler) {
    return serveHttp(loaded.handler, {
      name: logLabel(spec),
      hostname: spec.address,
      port: spec.port,
      path: spec.path,
      cert: spec.cert,
      key: spec.key,
      reusePort: spec.reusePort,
    });
  }
  if (loaded.factory) {
    const result = await loaded.factory(
      spec.name,
      loaded.protocol,
      spec.address,
      spec.port,
      {
        transport: spec.transport,
        path: spec.path,
        cert: spec.cert,
        key: spec.key,
        reusePort: spec.reusePort,
      },
    );
    if (!hasClose(result)) {
      throw errorAt(
        spec.factory!.source,
        `[${spec.section}] factory: '${
          spec.factory!.value
        }' must return a server with close(), not ${describe(result)}`,
      );
    }
    return result;
  }
  return await createServer(loaded.protocol!, {
    name: logLabel(spec),
    hostname: spec.address,
    port: spec.port,
    path: spec.path,
    transport: spec.transport as "tcp" | "udp" | "unix" | "tls",
    cert: spec.cert,
    key: spec.key,
    reusePort: spec.reusePort,
  });
}

function hasClose(
  value: unknown,
): value is { close(...args: unknown[]): unknown; addr?: unknown } {
  return (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as { close?: unknown }).close === "function";
}

/** The bound address of what a factory returned, or what the section asked for. */
function addrOf(
  server: { addr?: unknown; address?: unknown },
  spec: ServerSpec,
): Deno.Addr {
  const addr = server.addr as Deno.Addr | undefined;
  if (addr && typeof addr === "object" && "transport" in addr) return addr;
  if (typeof server.address === "function") {
    // node:net and node:dgram servers.
    const bound = (server.address as () => unknown)();
    if (bound && typeof bound === "object" && "port" in bound) {
      const { address, port } = bound as { address: string; port: number };
      const transport = spec.transport === "udp" ? "udp" : "tcp";
      return { transport, hostname: address, port };
    }
  }
  if (spec.path !== undefined) return { transport: "unix", path: spec.path };
  return {
    transport: spec.transport === "udp" ? "udp" : "tcp",
    hostname: spec.address,
    port: spec.port ?? 0,
  };
}

function where(spec: ServerSpec): string {
  if (spec.path !== undefined) return spec.path;
  const host = spec.address.includes(":") ? `[${spec.address}]` : spec.address;
  return `${host}:${spec.port}`;
}

/** An address as people write it: `127.0.0.1:8080`, `[::1]:8080` or a socket path. */
export function formatAddr(addr: Deno.Addr): string {
  if ("path" in addr) return addr.path;
  if ("hostname" in addr) {
    const host = addr.hostname.includes(":")
      ? `[${addr.hostname}]`
      : addr.hostname;
    return `${host}:${addr.port}`;
  }
  return String(addr);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (typeof value === "object") return "an object without close()";
  return `a ${typeof value}`;
}

function throwAll(errors: ConfigError[]): void {
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new ConfigErrors(errors);
}
