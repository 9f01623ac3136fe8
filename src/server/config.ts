/**
 * Reading and checking a `[server/NAME]` section (SPEC 3 and 6) without
 * importing anything, so `aio check` can report every problem at once.
 *
 * @module
 */

import type { ConfigParser } from "../config/config_parser.ts";
import { ConfigError, errorAt, type ValueSource } from "../config/errors.ts";
import { baseUrlOf } from "../refs.ts";

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

/** A reference option as written: its value and where. */
export interface RefOption {
  /** The option name (`protocol`, `factory` or `handler`). */
  option: string;
  /** The `SPECIFIER#EXPORT` text. */
  value: string;
  /** The file and line of the value. */
  source: ValueSource;
}

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
}

/**
 * Reads `section` (a `server/NAME` section) and checks it, collecting every
 * problem as a {@linkcode ConfigError} with the file and line at fault.
 * Reads the `cert` and `key` files; imports nothing.
 *
 * @returns The spec when there were no errors, and the errors.
 *
 * @example
 * ```ts
 * import { ConfigParser } from "../config/config_parser.ts";
 * import { readServerSpec } from "./config.ts";
 * const config = new ConfigParser().readString("[server/add]\nprotocol = ./add.ts#Add\nport = 8080\n", "app.conf");
 * const { spec, errors } = readServerSpec(config, "server/add");
 * console.log(spec?.port, errors.length); // 8080 0
 * ```
 */
export function readServerSpec(
  config: ConfigParser,
  section: string,
): { spec?: ServerSpec; errors: ConfigError[] } {
  const reader = new SectionReader(config, section);
  const spec = reader.read();
  return reader.errors.length ? { errors: reader.errors } : {
    spec,
    errors: [],
  };
}

/** Reads one section, collecting errors instead of stopping at the first. */
class SectionReader {
  readonly errors: ConfigError[] = [];
  readonly #config: ConfigParser;
  readonly #section: string;

  constructor(config: ConfigParser, section: string) {
    this.#config = config;
    this.#section = section;
  }

  read(): ServerSpec {
    const section = this.#section;
    const name = section.slice(SERVER_SECTION_PREFIX.length);
    if (!name) this.#errorAtSection("needs a name, as in [server/NAME]");
    const protocol = this.#ref("protocol");
    const factory = this.#ref("factory");
    const handler = this.#ref("handler");
    const given = (option: string) => this.#config.has(section, option);
    if (!given("protocol") && !given("factory") && !given("handler")) {
      this.#errorAtSection("needs one of protocol, factory or handler");
    }
    if (handler && (protocol || factory)) {
      this.#error(
        "handler",
        "cannot be combined with protocol or factory (a handler serves http)",
      );
    }
    const path = this.#string("path");
    const cert = this.#file("cert");
    const key = this.#file("key");
    const transport = this.#transport(!!handler, path, cert ?? key);
    const port = this.#port(path);
    this.#checkTls(transport);
    return {
      section,
      name,
      protocol,
      factory,
      handler,
      transport,
      address: this.#string("address") ?? "0.0.0.0",
      port,
      path,
      cert,
      key,
      reusePort: this.#boolean("reuse_port"),
    };
  }

  #transport(
    hasHandler: boolean,
    path: string | undefined,
    tlsFile: string | undefined,
  ): ServerTransport {
    const given = this.#string("transport");
    const fallback: ServerTransport = hasHandler
      ? (tlsFile ? "https" : "http")
      : (path !== undefined ? "unix" : "tcp");
    if (given === undefined) return fallback;
    const transport = given.toLowerCase() as ServerTransport;
    if (!TRANSPORTS.includes(transport)) {
      this.#error(
        "transport",
        `unknown transport ${
          JSON.stringify(given)
        } (choose from tcp, udp, unix, tls, http)`,
      );
      return fallback;
    }
    if (hasHandler && PROTOCOL_TRANSPORTS.has(transport)) {
      this.#error(
        "transport",
        `transport = ${transport} is for protocol servers; a handler serves http or https`,
      );
    } else if (!hasHandler && !PROTOCOL_TRANSPORTS.has(transport)) {
      this.#error("transport", `transport = ${transport} needs handler`);
    }
    if (path !== undefined && transport !== "unix" && !hasHandler) {
      this.#error(
        "path",
        `path is only for transport = unix, not ${transport}`,
      );
    }
    if (transport === "unix" && path === undefined) {
      this.#error("transport", "transport = unix needs path");
    }
    return transport;
  }

  #port(path: string | undefined): number | undefined {
    const text = this.#string("port");
    if (text === undefined) {
      if (path === undefined) {
        this.#errorAtSection("needs port (or path, for a unix socket)");
      }
      return undefined;
    }
    if (path !== undefined) {
      this.#error(
        "port",
        "port and path exclude each other (path is a unix socket)",
      );
      return undefined;
    }
    const port = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!(port >= 0 && port <= 65535)) {
      this.#error(
        "port",
        `must be an integer 0-65535 (0 picks a free port), not ${
          JSON.stringify(text)
        }`,
      );
      return undefined;
    }
    return port;
  }

  #checkTls(transport: ServerTransport): void {
    const has = (option: string) => this.#config.has(this.#section, option);
    if (has("cert") !== has("key")) {
      const [given, missing] = has("cert") ? ["cert", "key"] : ["key", "cert"];
      this.#error(given, `${given} needs ${missing} as well`);
    }
    if (transport === "tls" && !has("cert") && !has("key")) {
      this.#error("transport", "transport = tls needs cert and key");
    }
    if (
      (has("cert") || has("key")) &&
      !["tls", "http", "https"].includes(transport)
    ) {
      this.#error(
        has("cert") ? "cert" : "key",
        `cert and key are for transport = tls or a handler, not ${transport}`,
      );
    }
  }

  #ref(option: string): RefOption | undefined {
    const value = this.#string(option);
    if (value === undefined) return undefined;
    if (!value) {
      this.#error(option, "is empty; it should name SPECIFIER#EXPORT");
      return undefined;
    }
    return { option, value, source: this.#source(option) };
  }

  /** Reads a PEM file named by `option`, resolved like references. */
  #file(option: string): string | undefined {
    const name = this.#string(option);
    if (name === undefined) return undefined;
    const source = this.#source(option);
    const path = resolvePath(name, source.file);
    let text: string;
    try {
      text = Deno.readTextFileSync(path);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.#error(option, `cannot read ${JSON.stringify(path)}: ${reason}`);
      return undefined;
    }
    if (!text.includes("-----BEGIN")) {
      this.#error(option, `${JSON.stringify(path)} is not a PEM file`);
      return undefined;
    }
    return text;
  }

  #boolean(option: string): boolean {
    try {
      return this.#config.getBoolean(this.#section, option, {
        fallback: false,
      });
    } catch (error) {
      this.#collect(error);
      return false;
    }
  }

  /** The interpolated, stripped value; `undefined` when absent or broken. */
  #string(option: string): string | undefined {
    try {
      const value = this.#config.get(this.#section, option, {
        fallback: undefined,
      });
      return value === undefined ? undefined : value.trim();
    } catch (error) {
      this.#collect(error);
      return undefined;
    }
  }

  #source(option: string): ValueSource {
    return this.#config.source(this.#section, option);
  }

  #error(option: string, detail: string): void {
    this.errors.push(
      errorAt(this.#source(option), `[${this.#section}] ${option}: ${detail}`),
    );
  }

  #errorAtSection(detail: string): void {
    this.errors.push(
      errorAt(
        this.#config.sectionSource(this.#section),
        `[${this.#section}] ${detail}`,
      ),
    );
  }

  #collect(error: unknown): void {
    if (error instanceof ConfigError) this.errors.push(error);
    else throw error;
  }
}

/** A file path from a config value: relative ones resolve against the file that holds the line. */
export function resolvePath(path: string, sourceFile: string): string {
  if (path.startsWith("/")) return path;
  const url = new URL(path, baseUrlOf(sourceFile));
  return url.protocol === "file:" ? decodeURIComponent(url.pathname) : path;
}
