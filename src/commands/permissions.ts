/**
 * `aio permissions`: the narrowest `deno run` permission flags the config
 * needs, so an app can run without `-A`.
 *
 * @module
 */

import type { App } from "../app.ts";
import type { ConfigParser } from "../config/config_parser.ts";
import { sectionsWithPrefix } from "../config/sections.ts";
import { configReferences } from "../config_refs.ts";
import { parseArgs } from "./_args.ts";
import { COMMAND_SPECS } from "./specs.ts";
import { logFilePermissions } from "../logging/_permissions.ts";
import { isFileSource } from "../refs.ts";
import type { Command, CommandContext } from "./types.ts";
import { prepareChecked } from "./_prepared.ts";
import { absolutePath } from "../paths.ts";
import { parseWorkers } from "../settings.ts";
import { resolvePath } from "../config_files.ts";
import { clusterPermissions } from "../cluster/config.ts";
import { readHealthSpec } from "../health/config.ts";
import { Problems } from "../config/problems.ts";
import {
  DEFAULT_DAEMON_LOG as DETACHED_LOG,
  DEFAULT_PIDFILE as PIDFILE,
} from "../daemon/defaults.ts";

/** The environment variables aio itself reads (all optional). */
export const AIO_ENV_NAMES: readonly string[] = [
  "NO_COLOR",
  "AIO_NO_DYNAMIC_IMPORT",
  "AIO_PIDFILE",
  "AIO_WORKER",
];

/**
 * The programs the daemon's commands run: `sh` to start the background
 * process with its output in the daemon log, `kill` to signal it from
 * `aio stop` and `aio reload` (Deno.kill needs `--allow-run` whole).
 */
export const DETACH_PROGRAMS: readonly string[] = ["kill", "sh"];

/** The permission lists, by flag. */
export interface PermissionSet {
  /** `--allow-net`: `host`, `host:port` or `[ipv6]:port`. */
  net: Set<string>;
  /** `--allow-net` with no list: a UDP server on a non-loopback address answers peers anywhere. */
  anyNet: boolean;
  /** `--allow-read` paths. */
  read: Set<string>;
  /** `--allow-write` paths. */
  write: Set<string>;
  /** `--allow-env` names. */
  env: Set<string>;
  /** `--allow-import` hosts. */
  import: Set<string>;
  /** `--allow-run` programs. */
  run: Set<string>;
}

/** The `permissions` command. */
export const permissionsCommand: Command = {
  description: COMMAND_SPECS.permissions.summary,
  async run(args: string[], context: CommandContext): Promise<number> {
    const parsed = parseArgs(COMMAND_SPECS.permissions, args);
    const app = context.app;
    try {
      // A config aio check refuses gets no flags: its problems, exit 78.
      const { config } = await prepareChecked(context);
      const set = permissionsFor(app, config);
      if (parsed.has("--detach")) addDetach(set, config);
      console.log(formatFlags(set));
      return 0;
    } finally {
      await app.clear();
    }
  },
};

/** Works out what `aio run` of `config` touches. Call it with the app loaded (modules imported). */
export function permissionsFor(
  app: App,
  config: ConfigParser,
): PermissionSet {
  const set: PermissionSet = {
    net: new Set(),
    anyNet: false,
    read: new Set([Deno.cwd()]),
    write: new Set(),
    env: new Set(AIO_ENV_NAMES),
    import: new Set(),
    run: new Set(),
  };
  for (const file of config.files) {
    if (isFileSource(file)) set.read.add(absolutePath(file));
  }
  for (const module of app.modules.slice(1)) addModule(set, module.url);
  for (const reference of configReferences(config)) {
    addModule(set, reference.url);
  }
  for (const section of sectionsWithPrefix(config, "server/")) {
    addServer(set, config, section);
  }
  const cluster = clusterPermissions(config);
  for (const host of cluster.net) set.net.add(host);
  for (const path of cluster.read) set.read.add(path);
  addHealth(set, config);
  const logFiles = logFilePermissions(config);
  for (const path of logFiles.read) set.read.add(path);
  for (const path of logFiles.write) set.write.add(path);
  for (const name of envNames(config)) set.env.add(name);
  addWorkers(set, config);
  return set;
}

/**
 * With `[aio] workers` above 1, `aio run` is a supervisor: it runs `deno`
 * (this one) for each worker, and they talk over a control socket on
 * 127.0.0.1. (`aio run -w N` on the command line needs the same.)
 */
function addWorkers(set: PermissionSet, config: ConfigParser): void {
  const value = config.get("aio", "workers", { fallback: "" }).trim();
  if ((parseWorkers(value) ?? 1) <= 1) return;
  set.run.add(Deno.execPath());
  set.net.add("127.0.0.1");
}

/**
 * Adds what `aio run -d`, `stop` and `status` need: running `sh` and `kill`, and writing
 * the pidfile and the output log, whose directories it creates. The paths
 * are `[aio] pidfile` and `[aio] daemon_log` when the config sets them,
 * else `var/run/aio.pid` and `var/log/aio.log`, from the working directory.
 */
export function addDetach(set: PermissionSet, config: ConfigParser): void {
  for (const program of DETACH_PROGRAMS) set.run.add(program);
  const pidfile = config.get("aio", "pidfile", { fallback: "" }).trim() ||
    PIDFILE;
  const log = config.get("aio", "daemon_log", { fallback: "" }).trim() ||
    DETACHED_LOG;
  for (const path of [pidfile, log]) {
    const file = absolutePath(path);
    const dir = file.slice(0, file.lastIndexOf("/")) || "/";
    set.read.add(dir);
    set.write.add(dir);
  }
}

/** The flags, on one line, in a stable order. */
export function formatFlags(set: PermissionSet): string {
  return permissionFlags(set).join(" ");
}

/** The flags, in a stable order; a host granted whole covers its `host:port` entries. */
export function permissionFlags(set: PermissionSet): string[] {
  const flag = (name: string, values: Iterable<string>) => {
    const list = [...new Set(values)].sort();
    return list.length ? [`--allow-${name}=${list.join(",")}`] : [];
  };
  const hosts = new Set([...set.net].filter((entry) => !hasPort(entry)));
  const net = [...set.net].filter((entry) =>
    !hasPort(entry) || !hosts.has(entry.slice(0, entry.lastIndexOf(":")))
  );
  return [
    ...(set.anyNet ? ["--allow-net"] : flag("net", net)),
    ...flag("read", set.read),
    ...flag("write", set.write),
    ...flag("env", set.env),
    ...flag("import", set.import),
    ...flag("run", set.run),
  ];
}

/** Whether a net entry names a port: `host:port` or `[v6]:port`, not a bare `[v6]` or host. */
function hasPort(entry: string): boolean {
  return /^(\[[^\]]*\]|[^:\[\]]+):\d+$/.test(entry);
}

function addModule(set: PermissionSet, url: string): void {
  if (url.startsWith("file:")) {
    set.read.add(
      decodeURIComponent(new URL(".", url).pathname).replace(/\/$/, ""),
    );
  } else if (url.startsWith("http:") || url.startsWith("https:")) {
    const host = new URL(url).host;
    set.import.add(host);
    set.net.add(host);
  }
}

function addServer(
  set: PermissionSet,
  config: ConfigParser,
  section: string,
): void {
  const get = (option: string) =>
    config.get(section, option, { fallback: undefined })?.trim();
  const path = get("path");
  if (path) {
    set.read.add(absolutePath(path));
    set.write.add(absolutePath(path));
    return;
  }
  const address = get("address") || "0.0.0.0";
  const host = address.includes(":") ? `[${address}]` : address;
  const port = get("port");
  set.net.add(port && port !== "0" ? `${host}:${port}` : host);
  if (get("transport")?.toLowerCase() === "udp") addUdpPeers(set, address);
  for (const option of ["cert", "key"]) {
    const file = get(option);
    if (file) {
      set.read.add(resolvePath(file, config.source(section, option).file));
    }
  }
}

/** `[aio/health]`'s address and port (the host alone for port 0); nothing when the section is at fault. */
function addHealth(set: PermissionSet, config: ConfigParser): void {
  const health = readHealthSpec(config, new Problems());
  if (!health) return;
  const { address, port } = health;
  const host = address.includes(":") ? `[${address}]` : address;
  set.net.add(port ? `${host}:${port}` : host);
}

/**
 * A UDP server answers with `sendTo(peer)`, and Deno checks every peer it
 * sends to. On a loopback address the peers are this machine (any port):
 * grant the loopback host. On any other address they can be anywhere, and
 * `--allow-net` cannot name "every host on every port" narrower than
 * granting the flag whole.
 */
function addUdpPeers(set: PermissionSet, address: string): void {
  if (address === "localhost") {
    set.net.add("localhost");
    set.net.add("127.0.0.1");
  } else if (/^127\.\d+\.\d+\.\d+$/.test(address)) {
    // The kernel gives loopback traffic the source 127.0.0.1.
    set.net.add(address);
    set.net.add("127.0.0.1");
  } else if (address === "::1") {
    set.net.add("[::1]");
  } else {
    set.anyNet = true;
  }
}

function envNames(config: ConfigParser): string[] {
  if (config.has("env")) return [];
  const names = new Set<string>();
  const sections = ["DEFAULT", ...config.sections()];
  for (const section of sections) {
    for (const option of config.options(section)) {
      const raw = config.get(section, option, { raw: true });
      for (const match of raw.matchAll(/\$\{env:([^}:]+)\}/g)) {
        names.add(match[1]);
      }
    }
  }
  return [...names];
}
