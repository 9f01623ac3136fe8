/**
 * `aio unit [--name NAME] [--user]`: print a systemd service unit that runs
 * this app with the narrowest permissions, speaking sd_notify.
 *
 * @module
 */

import { dirname } from "node:path";
import type { App } from "../app.ts";
import type { ConfigParser } from "../config/config_parser.ts";
import { Problems } from "../config/problems.ts";
import { readUserConfig } from "../config/layers.ts";
import { runningUnderDeno } from "../deno_path.ts";
import { AioError, UsageError } from "../errors.ts";
import { readHealthSpec } from "../health/config.ts";
import { absolutePath } from "../paths.ts";
import { isFileSource } from "../refs.ts";
import { NATIVE_SOCKET_NAME } from "../systemd/_native_route.ts";
import { NOTIFY_ENV_NAMES } from "../systemd/notify.ts";
import type { Piece } from "../systemd/unit_escape.ts";
import {
  renderServiceUnit,
  type ServiceUnit,
  type WritablePath,
} from "../systemd/unit_file.ts";
import { readAppSettings } from "../settings.ts";
import { VERSION } from "../version.ts";
import { parseOptions } from "./_args.ts";
import { type PermissionSet, permissionsFor } from "./permissions.ts";
import type { Command, CommandContext } from "./types.ts";

/** `WatchdogSec=` unless `--watchdog` says otherwise. */
export const DEFAULT_WATCHDOG_S = 30;
const NOTIFY_MODES = ["native", "helper"] as const;
type NotifyMode = typeof NOTIFY_MODES[number];

const USAGE =
  `usage: aio unit [-h] [--name NAME] [--user] [--watchdog SECONDS] [--notify native|helper]

Prints a systemd service unit for this app (Type=notify, reload on SIGHUP,
the narrowest deno permissions, a sandbox). Save it as NAME.service.

  --name NAME          the unit name (default: the working directory's name)
  --user               a user unit (systemctl --user) instead of a system one
  --watchdog SECONDS   WatchdogSec= (default ${DEFAULT_WATCHDOG_S}; 0 for none)
  --notify native      aio sends sd_notify itself, through --unstable-net (default)
  --notify helper      through the systemd-notify binary, with no unstable flag
                       (NotifyAccess=all: systemd-notify sends from its own pid)`;

/** What `aio unit` was asked for. */
export interface UnitRequest {
  /** The unit name. */
  name: string;
  /** A user unit. */
  user: boolean;
  /** `WatchdogSec=`, 0 for none. */
  watchdogS: number;
  /** How aio reaches systemd's notify socket. */
  notify: NotifyMode;
}

/** The `unit` command. */
export const unitCommand: Command = {
  description: "Print a systemd unit that runs this app",
  async run(args: string[], context: CommandContext): Promise<number> {
    const values = parseOptions("unit", args, {
      name: { type: "string" },
      user: { type: "boolean" },
      watchdog: { type: "string" },
      notify: { type: "string" },
      help: { type: "boolean", short: "h" },
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    const request = unitRequest(values);
    const app = context.app;
    const config = await app.load(context.source);
    try {
      const { unit, warnings } = buildServiceUnit(
        app,
        config,
        context,
        request,
      );
      let text: string;
      try {
        text = renderServiceUnit(unit);
      } catch (error) {
        // A path systemd cannot take (a quote in deno's own path, say).
        if (error instanceof TypeError) throw new AioError(error.message);
        throw error;
      }
      for (const warning of warnings) console.error(`aio: warning: ${warning}`);
      console.log(text.trimEnd());
      return 0;
    } finally {
      await app.clear();
    }
  },
};

function unitRequest(values: {
  name?: string;
  user?: boolean;
  watchdog?: string;
  notify?: string;
}): UnitRequest {
  const name = values.name ?? defaultName();
  if (!/^[A-Za-z0-9_.:-]+$/.test(name) || name.startsWith("-")) {
    throw new UsageError(
      `unit: invalid name '${name}' (letters, digits and _ . : - only)`,
    );
  }
  const watchdog = values.watchdog ?? String(DEFAULT_WATCHDOG_S);
  const watchdogS = /^\d+$/.test(watchdog) ? Number(watchdog) : NaN;
  if (!Number.isSafeInteger(watchdogS)) {
    throw new UsageError(
      `unit: --watchdog takes whole seconds (0 for none), not '${watchdog}'`,
    );
  }
  const notify = values.notify ?? "native";
  if (!NOTIFY_MODES.includes(notify as NotifyMode)) {
    throw new UsageError(
      `unit: invalid --notify '${notify}' (choose from 'native', 'helper')`,
    );
  }
  return {
    name,
    user: values.user ?? false,
    watchdogS,
    notify: notify as NotifyMode,
  };
}

/** The working directory's name, made a valid unit name. */
function defaultName(): string {
  const base = Deno.cwd().split("/").filter(Boolean).at(-1) ?? "";
  const name = base.replace(/[^A-Za-z0-9_.:-]+/g, "-").replace(/^-+|-+$/g, "");
  return name || "aio";
}

/**
 * The unit for a loaded app, and warnings for the operator (paths to create
 * before the first start). Throws the config errors of `[aio]` and
 * `[aio/health]`.
 */
export function buildServiceUnit(
  app: App,
  config: ConfigParser,
  context: CommandContext,
  request: UnitRequest,
): { unit: ServiceUnit; warnings: string[] } {
  const problems = new Problems();
  const shutdownTimeoutS = readAppSettings(config, problems).shutdownTimeoutMs /
    1000;
  const health = readHealthSpec(config, problems);
  problems.throwIfAny();

  const user = readUserConfig(context.source);
  const configFile = user && isFileSource(user.source)
    ? absolutePath(user.source)
    : undefined;
  const configArgs = configFile ? [["-c"], [configFile]] : [];
  const compiled = !runningUnderDeno();
  const denoDir = denoDirectory();
  const set = compiled ? undefined : permissionsFor(app, config);
  const comments = [
    `${request.name}: generated by \`aio unit\` (aio ${VERSION})${
      configFile ? ` from ${configFile}` : ""
    }.`,
    `Save as ${
      request.user
        ? `~/.config/systemd/user/${request.name}.service`
        : `/etc/systemd/system/${request.name}.service`
    }, then: systemctl ${
      request.user ? "--user " : ""
    }daemon-reload && systemctl ${
      request.user ? "--user " : ""
    }enable --now ${request.name}`,
    "Regenerate it when the config changes: the permission flags follow the config.",
  ];
  let execArgs: Piece[][];
  if (set) {
    if (health) {
      const { address, port } = health;
      set.net.add(port ? `${address}:${port}` : address);
    }
    for (const name of NOTIFY_ENV_NAMES) set.env.add(name);
    execArgs = [
      ["run"],
      ...(request.notify === "native" ? [["--unstable-net"]] : []),
      ["--no-prompt"],
      ...permissionFlags(set).map((flag) => [flag]),
      // MONOTONIC_USEC= on RELOADING=1 comes from the uptime clock.
      ["--allow-sys=osUptime"],
      ...notifyFlags(request),
      [aioScript()],
      ...configArgs,
      ["run"],
    ];
    comments.push(
      request.notify === "native"
        ? "ExecStart: the flags of `aio permissions`, plus --unstable-net and the notify socket paths so aio sends sd_notify itself (NotifyAccess=main)."
        : "ExecStart: the flags of `aio permissions`, plus systemd-notify, which sends from its own pid (NotifyAccess=all).",
    );
  } else {
    execArgs = [...configArgs, ["run"]];
    comments.push(
      "A compiled binary runs with the permissions it was compiled with and sends sd_notify itself, through FFI.",
    );
  }
  const { writable, warnings } = writablePaths(set, denoDir);
  return {
    unit: {
      name: request.name,
      description: `aio app ${request.name}${
        configFile ? ` (${configFile})` : ""
      }`,
      user: request.user,
      runAs: request.user ? undefined : invokingUser(),
      comments,
      workingDirectory: Deno.cwd(),
      environment: {
        NO_COLOR: "1",
        ...(denoDir && !compiled ? { DENO_DIR: denoDir } : {}),
      },
      executable: Deno.execPath(),
      execArgs,
      notifyAccess: request.notify === "helper" && !compiled ? "all" : "main",
      shutdownTimeoutS,
      watchdogS: request.watchdogS,
      writable,
    },
    warnings,
  };
}

/** One `--allow-KIND=a,b` flag per kind that has values, in a stable order. */
function permissionFlags(set: PermissionSet): string[] {
  const kinds = ["net", "read", "write", "env", "import"] as const;
  return kinds.filter((kind) => set[kind].size > 0)
    .map((kind) => `--allow-${kind}=${[...set[kind]].sort().join(",")}`);
}

/** The notify route's flags: the sockets under %t (/run, or $XDG_RUNTIME_DIR for a user unit). */
function notifyFlags(request: UnitRequest): Piece[][] {
  if (request.notify === "helper") return [["--allow-run=systemd-notify"]];
  const t = { raw: "%t" };
  const own = [t, `/${request.name}/${NATIVE_SOCKET_NAME}`];
  const notify = [t, "/systemd/notify"];
  return [
    ["--allow-net=unix:", ...own, ",unix:", ...notify],
    ["--allow-read=", ...own],
    ["--allow-write=", ...own, ",", ...notify],
  ];
}

/** The module `deno run` starts: this checkout's cli.ts, or aio from JSR. */
function aioScript(): string {
  const main = Deno.mainModule;
  if (main.startsWith("file:")) {
    return decodeURIComponent(new URL(main).pathname);
  }
  if (main.startsWith("https://jsr.io/@aio/app/")) {
    return `jsr:@aio/app@${VERSION}`;
  }
  return main;
}

/**
 * What the sandbox leaves writable: the directories of log files and unix
 * sockets (which must exist), the pidfile's directory and Deno's cache
 * (which may not).
 */
function writablePaths(
  set: PermissionSet | undefined,
  denoDir: string | undefined,
): { writable: WritablePath[]; warnings: string[] } {
  const required = new Set<string>();
  for (const path of set?.write ?? []) required.add(dirname(path));
  const warnings: string[] = [];
  const writable: WritablePath[] = [...required].sort().map((path) => {
    if (exists(path)) return { path, optional: false };
    warnings.push(
      `${path} does not exist: create it before the unit starts (ProtectSystem=strict keeps the rest read-only)`,
    );
    return { path, optional: true };
  });
  writable.push({ path: absolutePath("var/run"), optional: true });
  if (denoDir && set) writable.push({ path: denoDir, optional: true });
  return { writable, warnings };
}

/** Deno's cache, as Deno finds it: $DENO_DIR, else $XDG_CACHE_HOME/deno, else ~/.cache/deno. */
function denoDirectory(): string | undefined {
  const env = (name: string) => {
    try {
      return Deno.env.get(name) || undefined;
    } catch {
      return undefined;
    }
  };
  const dir = env("DENO_DIR") ??
    (env("XDG_CACHE_HOME") ? `${env("XDG_CACHE_HOME")}/deno` : undefined) ??
    (env("HOME") ? `${env("HOME")}/.cache/deno` : undefined);
  return dir ? absolutePath(dir) : undefined;
}

/** `User=` for a system unit: the user running `aio unit`, unless root. */
function invokingUser(): string | undefined {
  try {
    if (Deno.uid() === 0) return undefined;
    return Deno.env.get("USER") || Deno.env.get("LOGNAME") || undefined;
  } catch {
    return undefined;
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
