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
import { printHelp } from "./_args.ts";
import { logFilePermissions } from "../logging/_permissions.ts";
import { isFileSource } from "../refs.ts";
import type { Command, CommandContext } from "./types.ts";
import { absolutePath } from "../paths.ts";
import { resolvePath } from "../server/config.ts";

/** The environment variables aio itself reads (all optional). */
export const AIO_ENV_NAMES: readonly string[] = [
  "NO_COLOR",
  "AIO_NO_DYNAMIC_IMPORT",
  "AIO_PIDFILE",
];

/** The permission lists, by flag. */
export interface PermissionSet {
  net: Set<string>;
  read: Set<string>;
  write: Set<string>;
  env: Set<string>;
  import: Set<string>;
}

const PERMISSIONS_USAGE =
  "usage: aio permissions\n\nPrints the deno run flags `aio run` needs for this config, on one line:\n  deno run $(aio permissions) jsr:@aio/app run";

/** The `permissions` command. */
export const permissionsCommand: Command = {
  description:
    "Print the narrowest deno run permission flags this config needs",
  async run(args: string[], context: CommandContext): Promise<number> {
    if (printHelp("permissions", args, PERMISSIONS_USAGE)) return 0;
    const app = context.app;
    const config = await app.load(context.source);
    try {
      console.log(formatFlags(permissionsFor(app, config)));
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
    read: new Set([Deno.cwd()]),
    write: new Set(),
    env: new Set(AIO_ENV_NAMES),
    import: new Set(),
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
  const logFiles = logFilePermissions(config);
  for (const path of logFiles.read) set.read.add(path);
  for (const path of logFiles.write) set.write.add(path);
  for (const name of envNames(config)) set.env.add(name);
  return set;
}

/** The flags, on one line, in a stable order. */
export function formatFlags(set: PermissionSet): string {
  const flag = (name: string, values: Set<string>) =>
    values.size ? [`--allow-${name}=${[...values].sort().join(",")}`] : [];
  return [
    ...flag("net", set.net),
    ...flag("read", set.read),
    ...flag("write", set.write),
    ...flag("env", set.env),
    ...flag("import", set.import),
  ].join(" ");
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
  const port = get("port");
  set.net.add(port && port !== "0" ? `${address}:${port}` : address);
  for (const option of ["cert", "key"]) {
    const file = get(option);
    if (file) {
      set.read.add(resolvePath(file, config.source(section, option).file));
    }
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
