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
import { parseArgs } from "./_args.ts";
import { COMMAND_SPECS, DEFAULT_WATCHDOG_S } from "./specs.ts";
import {
  permissionFlags,
  type PermissionSet,
  permissionsFor,
} from "./permissions.ts";
import type { Command, CommandContext } from "./types.ts";
import { prepareChecked } from "./_prepared.ts";

export { DEFAULT_WATCHDOG_S } from "./specs.ts";
type NotifyMode = "native" | "helper";

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
  description: COMMAND_SPECS.unit.summary,
  async run(args: string[], context: CommandContext): Promise<number> {
    const parsed = parseArgs(COMMAND_SPECS.unit, args);
    const values = {
      name: parsed.value("--name"),
      user: parsed.has("--user"),
      watchdog: parsed.value("--watchdog"),
      notify: parsed.value("--notify"),
    };
    const request = unitRequest(values);
    const app = context.app;
    try {
      // A config aio check refuses gets no unit: its problems, exit 78.
      const { config } = await prepareChecked(context);
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
  const name = values.name === undefined
    ? defaultName()
    : unitName(values.name);
  const watchdog = values.watchdog ?? String(DEFAULT_WATCHDOG_S);
  const watchdogS = /^\d+$/.test(watchdog) ? Number(watchdog) : NaN;
  if (!Number.isSafeInteger(watchdogS)) {
    throw new UsageError(
      `unit: --watchdog takes whole seconds (0 for none), not '${watchdog}'`,
    );
  }
  // The parser took only 'native' or 'helper'.
  const notify = values.notify ?? "native";
  return {
    name,
    user: values.user ?? false,
    watchdogS,
    notify: notify as NotifyMode,
  };
}

const SERVICE_SUFFIX = ".service";

/** The longest unit name systemd takes, suffix included (its UNIT_NAME_MAX less the NUL). */
export const UNIT_NAME_MAX = 255;

/** The unit types other than service, whose suffix on NAME would make `x.socket.service`. */
const OTHER_UNIT_TYPES = [
  "automount",
  "device",
  "mount",
  "path",
  "scope",
  "slice",
  "socket",
  "swap",
  "target",
  "timer",
];

/**
 * `--name`, with or without `.service`, as the name without it; a usage
 * error for one systemd refuses (empty, too long) or aio does not write: a
 * character beyond letters, digits and `_ . : -` (no `@` template, no `\`
 * escape), a first `-` (systemctl would read an option) or `.` (a hidden
 * file, which systemd skips), another unit type's suffix.
 */
export function unitName(given: string): string {
  const name = given.endsWith(SERVICE_SUFFIX)
    ? given.slice(0, -SERVICE_SUFFIX.length)
    : given;
  const invalid = (why: string) =>
    new UsageError(`unit: invalid name '${given}' (${why})`);
  if (name === "") throw invalid("empty");
  if (!/^[A-Za-z0-9_.:-]+$/.test(name)) {
    throw invalid("letters, digits and _ . : - only");
  }
  if (/^[-.]/.test(name)) throw invalid("it must not start with - or .");
  const type = /\.([a-z]+)$/.exec(name)?.[1];
  if (type !== undefined && OTHER_UNIT_TYPES.includes(type)) {
    throw invalid(
      `a .${type} unit's name: aio unit prints a service, NAME or NAME.service`,
    );
  }
  if (name.length + SERVICE_SUFFIX.length > UNIT_NAME_MAX) {
    throw invalid(
      `${
        name.length + SERVICE_SUFFIX.length
      } characters with .service; systemd takes at most ${UNIT_NAME_MAX}`,
    );
  }
  return name;
}

/** The working directory's name, made a valid unit name. */
function defaultName(): string {
  const base = Deno.cwd().split("/").filter(Boolean).at(-1) ?? "";
  const name = base.replace(/[^A-Za-z0-9_.:-]+/g, "-")
    .slice(0, UNIT_NAME_MAX - SERVICE_SUFFIX.length)
    .replace(/^[-.]+|-+$/g, "");
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
  const settings = readAppSettings(config, problems);
  const shutdownTimeoutS = settings.shutdownTimeoutMs / 1000;
  // Checked here for its errors; permissionsFor grants its address.
  readHealthSpec(config, problems);
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
  const { writable, warnings } = writablePaths(
    set,
    denoDir,
    dirname(absolutePath(settings.pidfile)),
  );
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
 * sockets (which must exist), the pidfile's directory (`[aio] pidfile`,
 * for `aio run --pidfile`, `aio stop` and `aio status`) and Deno's cache
 * (which may not).
 */
function writablePaths(
  set: PermissionSet | undefined,
  denoDir: string | undefined,
  pidfileDir: string,
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
  if (!required.has(pidfileDir)) {
    writable.push({ path: pidfileDir, optional: true });
  }
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
