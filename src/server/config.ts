/**
 * Reading and checking a `[server/NAME]` section (SPEC 3 and 6) without
 * importing anything, so `aio check` can report every problem at once.
 *
 * @module
 */

import type { ConfigParser } from "../config/config_parser.ts";
import type { Problems } from "../config/problems.ts";
import { type RefOption, SectionReader } from "../config/section_reader.ts";
import { readTextFileOption, type TextFileCheck } from "../config_files.ts";

const PEM: TextFileCheck = { marker: "-----BEGIN", kind: "a PEM file" };

export type { RefOption } from "../config/section_reader.ts";

/** The prefix of server section names. */
export const SERVER_SECTION_PREFIX = "server/";

/** The transports a `[server/NAME]` section may name. */
export type ServerTransport = "tcp" | "udp" | "unix" | "tls" | "http" | "https";

const TRANSPORTS: readonly ServerTransport[] = [
  "tcp",
  "udp",
  "unix",
  "tls",
  "http",
  "https",
];
const PROTOCOL_TRANSPORTS = new Set<ServerTransport>([
  "tcp",
  "udp",
  "unix",
  "tls",
]);

/** A checked `[server/NAME]` section, ready to start. */
export interface ServerSpec {
  /** The section name, `server/NAME`. */
  section: string;
  /** NAME, the key in `app.servers`. */
  name: string;
  /** `protocol = REF`, if given. */
  protocol?: RefOption;
  /** `factory = REF`, if given. */
  factory?: RefOption;
  /** `handler = REF`, if given. */
  handler?: RefOption;
  /** The transport: given, or `tcp` (`unix` with `path`; `http`/`https` with `handler`). */
  transport: ServerTransport;
  /** The address to listen on; `0.0.0.0` unless given. */
  address: string;
  /** The port, when no `path` is given. */
  port?: number;
  /** The unix socket path. */
  path?: string;
  /** The certificate chain, PEM text read from the `cert` file. */
  cert?: string;
  /** The private key, PEM text read from the `key` file. */
  key?: string;
  /** `reuse_port`, default false. */
  reusePort: boolean;
  /** `idle_timeout` in milliseconds: close a stream connection on which no byte moved for that long. */
  idleTimeoutMs?: number;
  /** `max_connections`: stop accepting while this many stream connections are open. */
  maxConnections?: number;
}

/** The options a `[server/NAME]` section may hold. */
export const SERVER_OPTIONS: readonly string[] = [
  "protocol",
  "factory",
  "handler",
  "transport",
  "address",
  "port",
  "path",
  "cert",
  "key",
  "reuse_port",
  "idle_timeout",
  "max_connections",
];

/**
 * The longest `idle_timeout`: a year, far past any real need. No timer
 * waits that long: connections are swept every second at most (see
 * `_idle.ts`), so it may pass what one timer holds.
 */
const MAX_IDLE_TIMEOUT_S = 365 * 24 * 3600;
/** The transports whose connections aio holds itself, so `idle_timeout` and `max_connections` apply. */
const STREAM_TRANSPORTS = new Set<ServerTransport>(["tcp", "unix", "tls"]);

/**
 * Reads `section` (a `server/NAME` section) and checks it, reporting every
 * problem to `problems` as a {@linkcode ConfigError} at the line at fault.
 * Reads the `cert` and `key` files; imports nothing.
 *
 * @returns The spec, or undefined when the section has errors.
 *
 * @example
 * ```ts
 * import { ConfigParser } from "../config/config_parser.ts";
 * import { Problems } from "../config/problems.ts";
 * import { readServerSpec } from "./config.ts";
 * const config = new ConfigParser().readString("[server/add]\nprotocol = ./add.ts#Add\nport = 8080\n", "app.conf");
 * const problems = new Problems();
 * const spec = readServerSpec(config, "server/add", problems);
 * console.log(spec?.port, problems.errors.length); // 8080 0
 * ```
 */
export function readServerSpec(
  config: ConfigParser,
  section: string,
  problems: Problems,
): ServerSpec | undefined {
  const before = problems.errors.length;
  const reader = new SectionReader(config, section, problems, {
    known: SERVER_OPTIONS,
  });
  const spec = readSpec(reader);
  reader.checkUnknown();
  return problems.errors.length === before ? spec : undefined;
}

function readSpec(reader: SectionReader): ServerSpec {
  const section = reader.section;
  const name = section.slice(SERVER_SECTION_PREFIX.length);
  if (!name) reader.sectionError("needs a name, as in [server/NAME]");
  const protocol = reader.ref("protocol");
  const factory = reader.ref("factory");
  const handler = reader.ref("handler");
  if (
    !reader.has("protocol") && !reader.has("factory") && !reader.has("handler")
  ) {
    reader.sectionError(
      "needs one of protocol, factory or handler (SPECIFIER#EXPORT)",
    );
  }
  if (handler && (protocol || factory)) {
    reader.error(
      "handler",
      "cannot be combined with protocol or factory (a handler serves http)",
    );
  }
  const path = reader.string("path");
  const cert = readTextFileOption(reader, "cert", PEM);
  const key = readTextFileOption(reader, "key", PEM);
  const transport = readTransport(reader, !!handler, path, cert ?? key);
  const port = readPort(reader, path);
  checkTls(reader, transport);
  const limits = readLimits(reader, transport, !!handler);
  return {
    section,
    name,
    protocol,
    factory,
    handler,
    transport,
    address: reader.string("address") ?? "0.0.0.0",
    port,
    path,
    cert,
    key,
    reusePort: reader.boolean("reuse_port"),
    ...limits,
  };
}

/**
 * `idle_timeout` and `max_connections`: aio enforces them on the stream
 * connections it accepts itself (tcp, unix, tls); a factory gets them to
 * pass on. Deno.serve offers neither, and UDP has no connections, so there
 * they are errors rather than settings that silently do nothing.
 */
function readLimits(
  reader: SectionReader,
  transport: ServerTransport,
  hasHandler: boolean,
): { idleTimeoutMs?: number; maxConnections?: number } {
  const idle = reader.seconds("idle_timeout", { max: MAX_IDLE_TIMEOUT_S });
  const maxConnections = reader.integer("max_connections", { min: 1 });
  for (const option of ["idle_timeout", "max_connections"]) {
    if (!reader.has(option)) continue;
    if (hasHandler) {
      reader.error(
        option,
        "is not supported for HTTP servers (Deno.serve offers no per-connection limits)",
      );
    } else if (!STREAM_TRANSPORTS.has(transport) && !reader.has("factory")) {
      reader.error(
        option,
        `applies to connections (tcp, unix, tls), not transport = ${transport}`,
      );
    }
  }
  const limits: { idleTimeoutMs?: number; maxConnections?: number } = {};
  if (idle !== undefined) limits.idleTimeoutMs = idle * 1000;
  if (maxConnections !== undefined) limits.maxConnections = maxConnections;
  return limits;
}

function readTransport(
  reader: SectionReader,
  hasHandler: boolean,
  path: string | undefined,
  tlsFile: string | undefined,
): ServerTransport {
  const given = reader.string("transport");
  const fallback: ServerTransport = hasHandler
    ? (tlsFile ? "https" : "http")
    : (path !== undefined ? "unix" : "tcp");
  if (given === undefined) return fallback;
  const transport = given.toLowerCase() as ServerTransport;
  if (!TRANSPORTS.includes(transport)) {
    reader.error(
      "transport",
      `unknown transport ${
        JSON.stringify(given)
      } (choose from tcp, udp, unix, tls, http)`,
    );
    return fallback;
  }
  if (hasHandler && PROTOCOL_TRANSPORTS.has(transport)) {
    reader.error(
      "transport",
      `transport = ${transport} is for protocol servers; a handler serves http or https`,
    );
  } else if (!hasHandler && !PROTOCOL_TRANSPORTS.has(transport)) {
    reader.error("transport", `transport = ${transport} needs handler`);
  }
  if (path !== undefined && transport !== "unix" && !hasHandler) {
    reader.error("path", `path is only for transport = unix, not ${transport}`);
  }
  if (transport === "unix" && path === undefined) {
    reader.error("transport", "transport = unix needs path");
  }
  return transport;
}

function readPort(
  reader: SectionReader,
  path: string | undefined,
): number | undefined {
  if (!reader.has("port")) {
    if (path === undefined) {
      reader.sectionError("needs port (or path, for a unix socket)");
    }
    return undefined;
  }
  if (path !== undefined) {
    reader.error(
      "port",
      "port and path exclude each other (path is a unix socket)",
    );
    return undefined;
  }
  const text = reader.string("port");
  if (text === undefined) return undefined;
  const port = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(port >= 0 && port <= 65535)) {
    reader.error(
      "port",
      `must be an integer 0-65535 (0 picks a free port), not ${
        JSON.stringify(text)
      }`,
    );
    return undefined;
  }
  return port;
}

function checkTls(reader: SectionReader, transport: ServerTransport): void {
  const has = (option: string) => reader.has(option);
  if (has("cert") !== has("key")) {
    const [given, missing] = has("cert") ? ["cert", "key"] : ["key", "cert"];
    reader.error(given, `${given} needs ${missing} as well`);
  }
  if (transport === "tls" && !has("cert") && !has("key")) {
    reader.error("transport", "transport = tls needs cert and key");
  }
  if (
    (has("cert") || has("key")) &&
    !["tls", "http", "https"].includes(transport)
  ) {
    reader.error(
      has("cert") ? "cert" : "key",
      `cert and key are for transport = tls or a handler, not ${transport}`,
    );
  }
}
