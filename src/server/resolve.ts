/**
 * From a config's `[server/NAME]` sections to {@linkcode ResolvedServer}s:
 * every section read and checked, every reference loaded once, every
 * problem reported, nothing bound. What `aio check` reports and what
 * `aio run` then starts.
 *
 * @module
 */

import type { ConfigParser } from "../config/config_parser.ts";
import type { Problems } from "../config/problems.ts";
import type { ModuleLoader } from "../refs.ts";
import {
  readServerSpec,
  type RefOption,
  SERVER_SECTION_PREFIX,
  type ServerSpec,
} from "./config.ts";
import type { HttpHandler } from "./http.ts";
import type { ProtocolClass } from "./transport.ts";
import type { DatagramProtocolClass } from "./udp.ts";

/**
 * A `factory = REF` function: it gets the section's name, its loaded
 * `protocol` (undefined when the section has none), `address` and `port`,
 * plus the section's other settings, and returns (or resolves to) a server
 * with `close()`.
 *
 * @example A factory that serves a node:net server
 * ```ts
 * import net from "node:net";
 * import type { ServerFactory } from "@aio/app";
 * export const factory: ServerFactory = (_name, _protocol, address, port) =>
 *   new Promise((resolve) => {
 *     const server = net.createServer((socket) => socket.end("hi\n"));
 *     server.listen(port ?? 0, address, () => resolve(server));
 *   });
 * ```
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
  /** `idle_timeout`, in milliseconds, for a factory to pass on to `createServer`. */
  idleTimeoutMs?: number;
  /** `max_connections`, for a factory to pass on to `createServer`. */
  maxConnections?: number;
}

/** A checked `[server/NAME]` section with its references loaded: ready to start. */
export interface ResolvedServer {
  /** The section as read. */
  readonly spec: ServerSpec;
  /** The loaded `protocol` class, if the section names one. */
  readonly protocol?: ProtocolClass | DatagramProtocolClass;
  /** The loaded `factory` function, if the section names one. */
  readonly factory?: ServerFactory;
  /** The loaded `handler` function, if the section names one. */
  readonly handler?: HttpHandler;
}

/**
 * Reads every `[server/NAME]` section of `config`, in order, and loads each
 * reference once through `loader`. Every problem goes to `problems` (a
 * section with one is left out); nothing is bound.
 *
 * @returns The sections without problems, resolved.
 *
 * @example Resolving, then starting
 * ```ts
 * import { ConfigParser } from "../config/config_parser.ts";
 * import { Problems } from "../config/problems.ts";
 * import { ModuleLoader } from "../refs.ts";
 * import { resolveServers, startServers, stopServers } from "./mod.ts";
 * const config = new ConfigParser().readString(
 *   "[server/hello]\nhandler = ./hello.ts#handler\naddress = 127.0.0.1\nport = 0\n",
 *   "app.conf",
 * );
 * const problems = new Problems();
 * const resolved = await resolveServers(config, new ModuleLoader(), problems);
 * problems.throwIfAny();
 * const servers = await startServers(resolved, { shutdownTimeoutMs: 10_000 });
 * await stopServers(servers, 10_000);
 * ```
 */
export async function resolveServers(
  config: ConfigParser,
  loader: ModuleLoader,
  problems: Problems,
): Promise<ResolvedServer[]> {
  const resolved: ResolvedServer[] = [];
  for (const section of config.sections()) {
    if (!section.startsWith(SERVER_SECTION_PREFIX)) continue;
    const spec = readServerSpec(config, section, problems);
    if (!spec) continue;
    const item = await problems.collectAsync(() => loadRefs(spec, loader));
    if (item) resolved.push(item);
  }
  return resolved;
}

async function loadRefs(
  spec: ServerSpec,
  loader: ModuleLoader,
): Promise<ResolvedServer> {
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
