/**
 * Reading and checking `[aio/cluster]` without importing the NATS client,
 * so `aio check` reports every problem at once and apps without a cluster
 * load nothing.
 *
 * @module
 */

import type { ConfigParser } from "../config/config_parser.ts";
import type { ValueSource } from "../config/errors.ts";
import type { Problems } from "../config/problems.ts";
import { SectionReader } from "../config/section_reader.ts";
import { readTextFileOption, resolvePath } from "../config_files.ts";
import { patternProblem } from "./patterns.ts";
import { CLUSTER_SECTION } from "./section.ts";

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

/** The options `[aio/cluster]` may hold. */
export const CLUSTER_OPTIONS: readonly string[] = [
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
/** The port of a NATS URL that names none. */
export const DEFAULT_NATS_PORT = 4222;
const NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Reads `[aio/cluster]` and checks it, reporting every problem to
 * `problems` at the line at fault (`FILE:LINE: [aio/cluster] option: what
 * is wrong`); an option aio does not know is a warning, or an error when it
 * is a slip of one it does. Reads the `creds` and `tls_ca` files; imports
 * nothing.
 *
 * @example
 * ```ts
 * import { ConfigParser } from "../config/config_parser.ts";
 * import { Problems } from "../config/problems.ts";
 * import { readClusterSpec } from "./config.ts";
 * const config = new ConfigParser().readString(
 *   "[aio/cluster]\nurl = nats://127.0.0.1:4222\nsignals = order-*\n",
 *   "aio.conf",
 * );
 * const problems = new Problems();
 * const spec = readClusterSpec(config, problems);
 * console.log(spec?.name, spec?.connect, problems.errors.length); // "aio" "required" 0
 * ```
 *
 * @param config The layered config.
 * @param problems Where the problems go.
 * @returns The spec when the section exists and is sound; `undefined`
 *   without the section or with errors.
 */
export function readClusterSpec(
  config: ConfigParser,
  problems: Problems,
): ClusterSpec | undefined {
  if (!config.has(CLUSTER_SECTION)) return undefined;
  const before = problems.errors.length;
  const reader = new SectionReader(config, CLUSTER_SECTION, problems, {
    known: CLUSTER_OPTIONS,
  });
  reader.checkUnknown();
  const urls = readUrls(reader);
  const name = readName(reader);
  const signals = readSignals(reader);
  const connect = reader.choice("connect", ["required", "background"]) ??
    "required";
  const user = reader.string("user");
  const password = reader.string("password");
  const token = reader.string("token");
  const creds = readTextFileOption(reader, "creds", {
    marker: "-----BEGIN NATS USER JWT-----",
    kind: "a NATS credentials file (no user JWT in it)",
  });
  const tlsCa = readTextFileOption(reader, "tls_ca", {
    marker: "-----BEGIN",
    kind: "a PEM file",
  });
  checkAuth(reader, user, password, token);
  if (problems.errors.length > before) return undefined;
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
    source: reader.headerSource,
  };
}

/** What `aio run` of a config with `[aio/cluster]` touches. */
export interface ClusterPermissions {
  /** `HOST:PORT` of each NATS URL (`[v6]:PORT` for IPv6). */
  net: string[];
  /** The `creds` and `tls_ca` files, absolute. */
  read: string[];
}

/**
 * The hosts and files of `[aio/cluster]`, for `aio permissions`: read as
 * written, leniently (checking them is {@linkcode readClusterSpec}'s job).
 *
 * @example
 * ```ts
 * import { ConfigParser } from "../config/config_parser.ts";
 * import { clusterPermissions } from "./config.ts";
 * const config = new ConfigParser().readString(
 *   "[aio/cluster]\nurl =\n  nats://a.example:4222\n  tls://b.example\ncreds = /etc/aio/app.creds\n",
 *   "/srv/aio.conf",
 * );
 * console.log(clusterPermissions(config));
 * // { net: ["a.example:4222", "b.example:4222"], read: ["/etc/aio/app.creds"] }
 * ```
 *
 * @param config The layered config.
 * @returns Nothing when the section is absent.
 */
export function clusterPermissions(config: ConfigParser): ClusterPermissions {
  const needs: ClusterPermissions = { net: [], read: [] };
  if (!config.has(CLUSTER_SECTION)) return needs;
  const get = (option: string) => {
    try {
      return config.get(CLUSTER_SECTION, option, { fallback: "" }).trim();
    } catch {
      return "";
    }
  };
  for (const line of get("url").split("\n")) {
    try {
      const url = new URL(line.trim());
      needs.net.push(`${url.hostname}:${url.port || DEFAULT_NATS_PORT}`);
    } catch {
      // Not a URL: aio check reports it.
    }
  }
  for (const option of ["creds", "tls_ca"]) {
    const file = get(option);
    if (!file) continue;
    needs.read.push(
      resolvePath(file, config.source(CLUSTER_SECTION, option).file),
    );
  }
  return needs;
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

function readUrls(reader: SectionReader): string[] {
  if (!reader.has("url")) {
    reader.sectionError(
      "needs url (one or more NATS server URLs, one per line)",
    );
    return [];
  }
  const value = reader.string("url");
  if (value === undefined) return []; // It does not interpolate: reported.
  const lines = value.split("\n").map((line) => line.trim()).filter(Boolean);
  if (lines.length === 0) {
    reader.error(
      "url",
      "is empty; give one or more nats://HOST:PORT URLs, one per line",
    );
    return [];
  }
  const urls: string[] = [];
  for (const line of lines) {
    const problem = urlProblem(line);
    if (problem) reader.error("url", problem);
    else urls.push(line);
  }
  return urls;
}

function readName(reader: SectionReader): string {
  const name = reader.string("name");
  if (name === undefined) return "aio";
  if (!NAME.test(name)) {
    reader.error(
      "name",
      `must be 1 to 64 letters, digits, - or _ (it prefixes the NATS subjects and the KV bucket), not ${
        JSON.stringify(name)
      }`,
    );
  }
  return name;
}

function readSignals(reader: SectionReader): string[] {
  const patterns = reader.list("signals");
  for (const pattern of patterns) {
    const problem = patternProblem(pattern);
    if (problem) reader.error("signals", problem);
  }
  return patterns;
}

function checkAuth(
  reader: SectionReader,
  user: string | undefined,
  password: string | undefined,
  token: string | undefined,
): void {
  const has = (option: string) => reader.has(option);
  if (user !== undefined && password === undefined) {
    reader.error("user", "needs password as well");
  }
  if (password !== undefined && user === undefined) {
    reader.error("password", "needs user as well");
  }
  if (token !== undefined && (has("user") || has("password"))) {
    reader.error("token", "cannot be combined with user and password");
  }
  if (has("creds") && (has("user") || has("password") || has("token"))) {
    reader.error(
      "creds",
      "cannot be combined with user, password or token (the creds file holds the identity)",
    );
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
