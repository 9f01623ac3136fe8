/**
 * The command line of every built-in command: its options, arguments, help
 * and examples. Data only, so the runner can parse a command's arguments,
 * and `aio help` can show any command, without loading the command.
 *
 * @module
 */

import {
  type CommandSpec,
  defineCommand,
  GLOBAL_OPTIONS,
  HELP_OPTION,
} from "./_args.ts";
import type { BuiltinCommandName } from "./names.ts";
import {
  DEFAULT_DAEMON_LOG,
  DEFAULT_PIDFILE,
  DEFAULT_START_TIMEOUT_S,
} from "../daemon/defaults.ts";

/** The targets `deno compile --target` accepts. */
export const COMPILE_TARGETS: readonly string[] = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-pc-windows-msvc",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
];

/** `aio unit`'s `WatchdogSec=` unless `--watchdog` says otherwise. */
export const DEFAULT_WATCHDOG_S = 30;

/** aio's own command line: its global options, then a command. */
export const AIO_SPEC: CommandSpec = {
  name: "",
  summary: "Run Deno apps described by one INI file",
  description: "aio runs Deno apps described by one INI file.",
  options: GLOBAL_OPTIONS.filter((option) => option !== HELP_OPTION),
  arguments: {
    name: "COMMAND [ARGS ...]",
    help: "the command to run and its arguments",
  },
  examples: [],
};

/** Each built-in command's command line, in the order `aio help` lists them. */
export const COMMAND_SPECS: Readonly<Record<BuiltinCommandName, CommandSpec>> =
  {
    run: defineCommand({
      name: "run",
      summary: "Run the app: modules, servers, schedules and listeners",
      description:
        `Imports the config's modules, wires its listeners, starts its servers and
schedules, and runs until SIGINT, SIGTERM or SIGQUIT; then stops within
[aio] shutdown_timeout (a second signal 500 ms or more after the first forces
exit 1). SIGHUP reopens the log files and reloads the config and the changed
modules (as aio reload does); SIGUSR1 reopens the log files. With -d it runs
in the background and returns once the app has started (exit 0) or failed
(its error and exit code); its output goes to [aio] daemon_log (default
${DEFAULT_DAEMON_LOG}). With -w N (or [aio] workers) it supervises N worker
processes that share the app's TCP, TLS and HTTP ports; SIGHUP then replaces
them one at a time (a rolling reload).`,
      options: [
        {
          long: "--detach",
          short: "-d",
          help:
            "run in the background, holding the pidfile; return once the app has started or failed",
        },
        {
          long: "--pidfile",
          values: ["PATH"],
          help:
            `the pidfile (default [aio] pidfile, else ${DEFAULT_PIDFILE}); without -d, hold it while running`,
        },
        {
          long: "--start-timeout",
          values: ["SECONDS"],
          help:
            `with -d: how long to wait for the start (default ${DEFAULT_START_TIMEOUT_S}); a daemon not started by then is stopped`,
        },
        {
          long: "--workers",
          short: "-w",
          values: ["N"],
          help:
            "run N worker processes (auto: one per core) under a supervisor (default [aio] workers, else 1)",
        },
      ],
      examples: [
        ["aio run", "run the app in ./aio.conf until Ctrl-C"],
        [
          "aio run -c app.conf --log-level DEBUG",
          "run app.conf, logging at DEBUG",
        ],
        ["aio run -d", "run in the background; aio stop stops it"],
        ["aio run -w auto", "run one worker process per core"],
      ],
    }),
    config: defineCommand({
      name: "config",
      summary: "Show the config, or get, set and unset values in it",
      usage: [
        "aio config [-h] [-f FILE] [--json] [-g SECTION[:OPTION]]",
        "aio config [-f FILE] [--lock-timeout SECONDS] -s SECTION:OPTION VALUE",
        "aio config [-f FILE] [--lock-timeout SECONDS] --unset SECTION:OPTION",
      ],
      description:
        `Shows the whole config as aio run uses it, interpolated: aio's defaults, the
user config, each module's defaults ([aio] modules are imported for them), the
user config again, and logging.conf over the logging sections; or one
section's options (DEFAULT's included), or one value. Or sets or removes a
value in a config file, keeping every other byte of it: -s and --unset write
the user config (or -f FILE), never a module's defaults; a value a module's
defaults set is overridden by setting it in the user config.`,
      options: [
        {
          long: "--file",
          short: "-f",
          values: ["FILE"],
          help: "use FILE alone, raw: no defaults, no interpolation",
        },
        {
          long: "--get",
          short: "-g",
          values: ["SECTION[:OPTION]"],
          help: "print a section's options, or one option's value",
        },
        {
          long: "--json",
          help: "print as JSON: each option's value and its FILE:LINE source",
        },
        {
          long: "--set",
          short: "-s",
          values: ["SECTION:OPTION", "VALUE"],
          help:
            "set a value in -f FILE, else -c FILE, else the config found, else a new ./aio.conf; VALUE's escapes are Python's (\\n, \\t, \\\\, \\xNN, \\uNNNN)",
        },
        {
          long: "--unset",
          values: ["SECTION:OPTION"],
          help:
            "remove an option from that file (exit 5 when the file does not set it)",
        },
        {
          long: "--lock-timeout",
          values: ["SECONDS"],
          help:
            "how long -s and --unset wait for another writer's lock on the file (default 10)",
        },
      ],
      examples: [
        ["aio config -g aio:log_level", "print one value"],
        ["aio config -g server/hello", "print one section's options"],
        ["aio config -s aio:log_level DEBUG", "set a value in the config file"],
        ["aio -c app.conf config", "print app.conf's whole config"],
      ],
    }),
    test: defineCommand({
      name: "test",
      summary: "Run the tests of the configured modules",
      description:
        `Runs each module's *_test.ts files and the code blocks of its README.md with
deno test, from the module's own directory, with the app's config in
AIO_CONFIG. Modules: the arguments, else [aio/testing] modules, else every
configured module. Exits 1 when any module's tests fail.`,
      options: [],
      arguments: {
        name: "[MODULE ...]",
        help: "the modules to test, as [aio] modules names them",
      },
      examples: [
        ["aio test", "test every configured module"],
        ["aio test ./examples/seed/app.ts", "test one module"],
      ],
    }),
    check: defineCommand({
      name: "check",
      summary: "Load and validate everything run would, starting nothing",
      description:
        `Loads the config, its modules and every reference, as aio run would, starts
nothing, and reports every problem at once: errors (exit 78) and warnings
(unknown options and sections; exit 0 when there is no error).`,
      options: [],
      examples: [
        ["aio check", "check the config aio run would read"],
        ["aio check -c app.conf", "check app.conf"],
      ],
    }),
    compile: defineCommand({
      name: "compile",
      summary: "Build a standalone binary of the app with deno compile",
      description:
        `Writes an entry module that imports aio and every module the config names,
embeds the config and the modules' aio.conf files, and runs deno compile on
it: the binary runs the app on a machine without Deno.`,
      options: [
        {
          long: "--output",
          short: "-o",
          values: ["NAME"],
          help: "the binary to write (default: aio-app)",
        },
        {
          long: "--target",
          values: ["TARGET"],
          choices: COMPILE_TARGETS,
          help: `the platform to build for: ${COMPILE_TARGETS.join(", ")}`,
        },
        {
          long: "--entry",
          values: ["FILE"],
          help:
            "write the generated entry module to FILE and stop (no deno compile)",
        },
      ],
      examples: [
        ["aio compile -o my-app", "build ./my-app from the config"],
        [
          "aio compile --target aarch64-apple-darwin -o my-app",
          "build it for Apple silicon",
        ],
        ["aio compile --entry entry.ts", "write the entry module only"],
      ],
    }),
    permissions: defineCommand({
      name: "permissions",
      summary:
        "Print the narrowest deno run permission flags this config needs",
      description:
        `Prints, on one line, the deno run flags aio run needs for this config: to
read the config and its modules, listen on its servers' addresses (a UDP
server's replies included), write its log files and read the environment
variables it names. -d adds what aio run -d needs; it is not the default
because running sh is as wide as --allow-run. The config is checked first, as
aio check checks it: one with problems gets them, and exit 78, no flags.`,
      options: [{
        long: "--detach",
        short: "-d",
        help:
          "add what aio run -d needs: running sh, and writing the pidfile's and the output's directories",
      }],
      examples: [
        [
          "deno run $(aio permissions) jsr:@aio/app run",
          "run the app without -A",
        ],
        [
          "deno run $(aio permissions -d) jsr:@aio/app run -d",
          "run it in the background",
        ],
      ],
    }),
    unit: defineCommand({
      name: "unit",
      summary: "Print a systemd unit that runs this app",
      description:
        `Prints a systemd service unit for this app (Type=notify, reload on SIGHUP,
the narrowest deno permissions, a sandbox). Save it as NAME.service. The
config is checked first, as aio check checks it: one with problems gets them,
and exit 78, no unit.`,
      options: [
        {
          long: "--name",
          values: ["NAME"],
          help:
            "the unit name, with or without .service (default: the working directory's name)",
        },
        {
          long: "--user",
          help: "a user unit (systemctl --user) instead of a system one",
        },
        {
          long: "--watchdog",
          values: ["SECONDS"],
          help: `WatchdogSec= (default ${DEFAULT_WATCHDOG_S}; 0 for none)`,
        },
        {
          long: "--notify",
          values: ["MODE"],
          choices: ["native", "helper"],
          help:
            "native: aio sends sd_notify itself, through --unstable-net (the default); helper: through the systemd-notify binary, with no unstable flag (NotifyAccess=all: systemd-notify sends from its own pid)",
        },
      ],
      examples: [
        [
          "aio unit --name shop > /etc/systemd/system/shop.service",
          "a system unit named shop",
        ],
        [
          "aio unit --user --watchdog 0",
          "a user unit without a watchdog",
        ],
      ],
    }),
    stop: defineCommand({
      name: "stop",
      summary: "Stop the app that aio run -d started",
      description:
        `Sends SIGTERM to the aio that holds the pidfile (checked by its lock: the pid
of a stale pidfile is never signalled) and waits for it to exit. Exit 0 once
it has exited; 1 when nothing runs, or when it still runs after the wait.`,
      options: [
        {
          long: "--pidfile",
          values: ["PATH"],
          help: `the pidfile (default [aio] pidfile, else ${DEFAULT_PIDFILE})`,
        },
        {
          long: "--timeout",
          values: ["SECONDS"],
          help:
            "how long to wait for the exit (default [aio] shutdown_timeout + 3)",
        },
      ],
      examples: [
        ["aio stop", "stop the app aio run -d started here"],
        [
          "aio stop --pidfile /run/app.pid",
          "stop the one that holds that pidfile",
        ],
      ],
    }),
    reload: defineCommand({
      name: "reload",
      summary: "Reload the running app's config and changed modules",
      description:
        `Sends SIGHUP to the aio that holds the pidfile (checked by its lock) and
waits for the outcome: the new config and the changed modules are checked as
aio check would, then switched to without refusing a connection. Prints
reloaded (exit 0), or each problem in one line while the old app runs on
(exit 78 when the new config is bad, 1 for any other failure). Exit 1 when
nothing runs, or no outcome comes within the wait.`,
      options: [
        {
          long: "--pidfile",
          values: ["PATH"],
          help: `the pidfile (default [aio] pidfile, else ${DEFAULT_PIDFILE})`,
        },
        {
          long: "--timeout",
          values: ["SECONDS"],
          help:
            "how long to wait for the outcome (default 2 x [aio] shutdown_timeout + 15)",
        },
      ],
      examples: [
        ["aio reload", "reload the app aio run -d started here"],
        [
          "aio reload --pidfile /run/app.pid",
          "reload the one that holds that pidfile",
        ],
      ],
    }),
    status: defineCommand({
      name: "status",
      summary: "Say whether the app that aio run -d started runs",
      description:
        `Says whether the aio that holds the pidfile runs (checked by its lock), with
its pid, uptime and config file; with workers, a line for the supervisor and
one for each worker (pid, uptime, restarts, memory). Exit 0 running, 1 not
running but a stale pidfile is there, 3 not running (the codes of an LSB init
script's status).`,
      options: [{
        long: "--pidfile",
        values: ["PATH"],
        help: `the pidfile (default [aio] pidfile, else ${DEFAULT_PIDFILE})`,
      }],
      examples: [
        ["aio status", "is the app aio run -d started here running?"],
      ],
    }),
    help: defineCommand({
      name: "help",
      summary: "Show aio's help, or a command's",
      description:
        `Without COMMAND: aio's usage, its commands (the config's module commands
too) and its global options. With COMMAND: that command's usage, options and
examples, as COMMAND --help shows them.`,
      options: [],
      arguments: {
        name: "[COMMAND]",
        help: "a built-in command, or one the config's modules add",
      },
      examples: [
        ["aio help", "list the commands"],
        ["aio help run", "show run's options and examples"],
      ],
    }),
  };
