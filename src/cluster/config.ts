/**
 * Reading and checking `[aio/cluster]` without importing the NATS client,
 * so `aio check` reports every problem at once and apps without a cluster
 * load nothing.
 *
 * @module
 */

import type { ConfigParser } from "../config/config_parser.ts";
import { ConfigError, errorAt, type ValueSource } from "../config/errors.ts";
import { ownOptions } from "../config/sections.ts";
import { resolvePath } from "../server/config.ts";
import { patternProblem } from "./patterns.ts";

/** The section that turns the cluster layer on. */
export const CLUSTER_SECTION = "aio/cluster";

/** How `aio run` treats an unreachable NATS server at start. */
export type ClusterConnectMode = "required" | "background";

/** A checked `[aio/cluster]` section. */
export interface ClusterSpec {
  /** The NATS server URLs, `nats://` or `tls://`, in file order. */
  urls: string[];
  /** The prefix of every subject and of the claims bucket; `aio` by default. */
  name: string;
  /** Globs of the signal names that go cluster-wide; none by default. */
  signals: string[];
  /** `required` (the default): an unreachable server fails the start; `background`: start and keep trying. */
  connect: ClusterConnectMode;
  /** `user`, given with `password`. */
  user?: string;
  /** `password`, given with `user`. */
  password?: string;
  /** `token`, instead of user and password. */
  token?: string;
  /** The text of the `creds` file (a NATS user JWT and its NKEY seed). */
  creds?: string;
  /** The PEM text of the `tls_ca` file, the CAs that sign the server's certificate. */
  tlsCa?: string;
  /** Whether the connection must use TLS: a `tls://` URL or `tls_ca` given. */
  tls: boolean;
  /** Where the section starts, for messages about it as a whole. */
  source: ValueSource;
}

const OPTIONS = [
  "url",
  "name",
  "signals",
  "connect",
  "user",
  "password",
  "token",
  "creds",
  "tls_ca",
];
const NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Reads `[aio/cluster]` and checks it, collecting every problem as a
 * {@linkcode ConfigError} at the line at fault (`FILE:LINE: [aio/cluster]
 * option: what is wrong`). Reads the `creds` and `tls_ca` files; imports
 * nothing.
 *
 * @example
 * ```ts
 * import { ConfigParser } from "../config/config_parser.ts";
 * import { readClusterSpec } from "./config.ts";
 * const config = new ConfigParser().readString(
 *   "[aio/cluster]\nurl = nats://127.0.0.1:4222\nsignals = order-*\n",
 *   "aio.conf",
 * );
 * const { spec, errors } = readClusterSpec(config);
 * console.log(spec?.name, spec?.connect, errors.length); // "aio" "required" 0
 * ```
 *
 * @param config The layered config.
 * @returns The spec when the section exists and is sound (`undefined`
 *   without the section or with errors), and the errors.
 */
export function readClusterSpec(
  config: ConfigParser,
): { spec?: ClusterSpec; errors: ConfigError[] } {
  if (!config.has(CLUSTER_SECTION)) return { errors: [] };
  const reader = new ClusterReader(config);
  const spec = reader.read();
  return reader.errors.length ? { errors: reader.errors } : {
    spec,
    errors: [],
  };
}

/**
 * Every problem of `[aio/cluster]`, for `aio check` and the start of
 * `aio run`. (The `cluster` option of `[schedule/NAME]`, and `once` without
 * this section, are the schedule reader's: `src/schedule/config.ts`.)
 *
 * @param config The layered config.
 * @returns The problems; empty when the section is sound or absent.
 */
export function validateCluster(config: ConfigParser): ConfigError[] {
  return readClusterSpec(config).errors;
}

/**
 * `url` without its password (`nats://me:***@host:4222`), for messages and
 * `aio status`.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    parsed.password = "***";
    return parsed.href.replace(/\/$/, "");
  } catch {
    return url;
  }
}

/** Reads the section, collecting errors instead of stopping at the first. */
class ClusterReader {
  readonly errors: ConfigError[] = [];
  readonly #config: ConfigParser;

  constructor(config: ConfigParser) {
    this.#config = config;
  }

  read(): ClusterSpec {
    this.#checkUnknownOptions();
    const urls = this.#urls();
    const name = this.#name();
    const signals = this.#signals();
    const connect = this.#connect();
    const user = this.#string("user");
    const password = this.#string("password");
    const token = this.#string("token");
    const creds = this.#file("creds", "-----BEGIN NATS USER JWT-----");
    const tlsCa = this.#file("tls_ca", "-----BEGIN");
    this.#checkAuth(user, password, token);
    return {
      urls,
      name,
      signals,
      connect,
      user,
      password,
      token,
      creds,
      tlsCa,
      tls: tlsCa !== undefined || urls.some((url) => url.startsWith("tls:")),
      source: this.#config.sectionSource(CLUSTER_SECTION),
    };
  }

  #checkUnknownOptions(): void {
    for (const option of ownOptions(this.#config, CLUSTER_SECTION)) {
      if (OPTIONS.includes(option)) continue;
      this.#error(
        option,
        `unknown option (known: ${OPTIONS.join(", ")})`,
      );
    }
  }

  #urls(): string[] {
    if (!this.#config.has(CLUSTER_SECTION, "url")) {
      this.#errorAtSection(
        "needs url (one or more NATS server URLs, one per line)",
      );
      return [];
    }
    const lines = this.#list("url");
    if (lines === undefined) return [];
    if (lines.length === 0) {
      this.#error(
        "url",
        "is empty; give one or more nats://HOST:PORT URLs, one per line",
      );
      return [];
    }
    const urls: string[] = [];
    for (const line of lines) {
      const problem = urlProblem(line);
      if (problem) this.#error("url", problem);
      else urls.push(line);
    }
    return urls;
  }

  #name(): string {
    const name = this.#string("name");
    if (name === undefined) return "aio";
    if (!NAME.test(name)) {
      this.#error(
        "name",
        `must be 1 to 64 letters, digits, - or _ (it prefixes the NATS subjects and the KV bucket), not ${
          JSON.stringify(name)
        }`,
      );
    }
    return name;
  }

  #signals(): string[] {
    const patterns = this.#list("signals") ?? [];
    for (const pattern of patterns) {
      const problem = patternProblem(pattern);
      if (problem) this.#error("signals", problem);
    }
    return patterns;
  }

  #connect(): ClusterConnectMode {
    const value = this.#string("connect");
    if (value === undefined) return "required";
    const mode = value.toLowerCase();
    if (mode === "required" || mode === "background") return mode;
    this.#error(
      "connect",
      `must be required or background, not ${JSON.stringify(value)}`,
    );
    return "required";
  }

  #checkAuth(
    user: string | undefined,
    password: string | undefined,
    token: string | undefined,
  ): void {
    const has = (option: string) => this.#config.has(CLUSTER_SECTION, option);
    if (user !== undefined && password === undefined) {
      this.#error("user", "needs password as well");
    }
    if (password !== undefined && user === undefined) {
      this.#error("password", "needs user as well");
    }
    if (token !== undefined && (has("user") || has("password"))) {
      this.#error("token", "cannot be combined with user and password");
    }
    if (has("creds") && (has("user") || has("password") || has("token"))) {
      this.#error(
        "creds",
        "cannot be combined with user, password or token (the creds file holds the identity)",
      );
    }
  }

  /** Reads the file named by `option`; it must contain `marker`. */
  #file(option: string, marker: string): string | undefined {
    const name = this.#string(option);
    if (name === undefined) return undefined;
    const path = resolvePath(name, this.#source(option).file);
    let text: string;
    try {
      text = Deno.readTextFileSync(path);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.#error(option, `cannot read ${JSON.stringify(path)}: ${reason}`);
      return undefined;
    }
    if (!text.includes(marker)) {
      const kind = option === "creds"
        ? "a NATS credentials file (no user JWT in it)"
        : "a PEM file";
      this.#error(option, `${JSON.stringify(path)} is not ${kind}`);
      return undefined;
    }
    return text;
  }

  /** The value's non-empty stripped lines; `undefined` when absent or broken. */
  #list(option: string): string[] | undefined {
    try {
      return this.#config.getList(CLUSTER_SECTION, option, {
        fallback: undefined,
      });
    } catch (error) {
      this.#collect(error);
      return undefined;
    }
  }

  /** The interpolated, stripped value; `undefined` when absent or broken. */
  #string(option: string): string | undefined {
    try {
      const value = this.#config.get(CLUSTER_SECTION, option, {
        fallback: undefined,
      });
      return value === undefined ? undefined : value.trim();
    } catch (error) {
      this.#collect(error);
      return undefined;
    }
  }

  #source(option: string): ValueSource {
    return this.#config.source(CLUSTER_SECTION, option);
  }

  #error(option: string, detail: string): void {
    this.errors.push(
      errorAt(
        this.#source(option),
        `[${CLUSTER_SECTION}] ${option}: ${detail}`,
      ),
    );
  }

  #errorAtSection(detail: string): void {
    this.errors.push(
      errorAt(
        this.#config.sectionSource(CLUSTER_SECTION),
        `[${CLUSTER_SECTION}] ${detail}`,
      ),
    );
  }

  #collect(error: unknown): void {
    if (error instanceof ConfigError) this.errors.push(error);
    else throw error;
  }
}

/** What is wrong with one `url` line, or `undefined`. */
function urlProblem(text: string): string | undefined {
  const shape = "nats://HOST[:PORT] or tls://HOST[:PORT]";
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `${JSON.stringify(text)} is not a URL (write ${shape})`;
  }
  if (url.protocol !== "nats:" && url.protocol !== "tls:") {
    return `${
      JSON.stringify(redactUrl(text))
    } is not a NATS URL (write ${shape})`;
  }
  if (!url.hostname) {
    return `${JSON.stringify(text)} has no host (write ${shape})`;
  }
  if ((url.pathname && url.pathname !== "/") || url.search || url.hash) {
    return `${
      JSON.stringify(redactUrl(text))
    } has a path or query; a NATS URL is ${shape}`;
  }
  return undefined;
}
