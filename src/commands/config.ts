/**
 * `aio config`: show the config, get one section or value, or set a value
 * in the file while keeping its layout.
 *
 * Exit codes: 0 done; 1 a lookup miss (`-g` of a missing section or
 * option: the file is fine, the name is not in it) or a failed write
 * (read-only file or directory); 2 bad usage, including a value or name
 * the config format cannot hold (surrounding whitespace, a line break in a
 * name, a bad `$`); 78 a config file that is missing, unreadable, not
 * UTF-8 text, does not parse, or whose values fail to interpolate.
 *
 * `-s` writes to `-f FILE`, else `-c FILE`, else the file the search finds,
 * else a new `./aio.conf`; a named file that does not exist is created.
 * Every `\n` (backslash, n) in VALUE becomes a line break; there is no
 * escape for a literal backslash-n.
 *
 * This module is loaded for `aio config` alone, so it imports only the
 * config engine: no logging, no scheduler, no app.
 *
 * @module
 */

import type { Command, CommandContext } from "./types.ts";
import { AioError, UsageError } from "../errors.ts";
import { ConfigError } from "../config/errors.ts";
import { ConfigParser, formatOption } from "../config/config_parser.ts";
import {
  type ConfigStore,
  createStore,
  DEFAULT_SECTION,
  type OptionMap,
  readInto,
} from "../config/parser.ts";
import {
  buildConfig,
  findConfigFile,
  readUserConfig,
} from "../config/layers.ts";
import { DEFAULTS_SOURCE } from "../config/defaults.ts";
import {
  decodeConfig,
  describeReadError,
  readConfigFile,
} from "../config/read_file.ts";

/** The usage text `aio config -h` prints. */
export const CONFIG_USAGE =
  `usage: aio config [-h] [-f FILE] [-g SECTION[:OPTION] | -s SECTION:OPTION VALUE]

Show the whole config (aio's defaults, then the user config, interpolated),
one section's options, or one value; or set a value in a config file.

options:
  -h, --help                  show this help and exit
  -f, --file FILE             use FILE alone, raw: no defaults, no interpolation
  -g, --get SECTION[:OPTION]  print a section's options, or one option's value
  -s, --set SECTION:OPTION VALUE
                              set a value in -f FILE, else -c FILE, else the
                              config found, else a new ./aio.conf; "\\n" in
                              VALUE starts a new line`;

/** What `aio config` was asked to do. */
export interface ConfigArgs {
  /** `-h`: print the usage. */
  help: boolean;
  /** `-f FILE`: read (or write) this file alone, raw. */
  file?: string;
  /** `-g SECTION` or `-g SECTION:OPTION`, split on the last `:`. */
  get?: { section: string; option?: string; text: string };
  /** `-s SECTION:OPTION VALUE`, with `\n` already turned into line breaks. */
  set?: { section: string; option: string; value: string };
}

/** The `aio config` command. */
export const configCommand: Command = {
  description: "Show the config, or get and set values in it",
  run: runConfig,
};

/**
 * Runs `aio config ARGS`; returns the exit code. Throws {@linkcode UsageError}
 * (exit 2), {@linkcode AioError} (exit 1) or {@linkcode ConfigError} (exit 78).
 */
export async function runConfig(
  args: readonly string[],
  context: CommandContext,
): Promise<number> {
  const parsed = parseConfigArgs(args);
  if (parsed.help) {
    writeStdout(CONFIG_USAGE + "\n");
  } else if (parsed.set) {
    await setValue(parsed.set, parsed.file, context);
  } else {
    const config = loadConfig(parsed.file, context);
    writeStdout(
      parsed.get ? getText(config, parsed.get) : config.dump(),
    );
  }
  return 0;
}

/**
 * Parses `aio config`'s own arguments, argparse-style. An option's values
 * are the next arguments as they are, so a VALUE may start with `-`.
 *
 * @example
 * ```ts
 * import { parseConfigArgs } from "./config.ts";
 * console.log(parseConfigArgs(["-s", "aio:log_level", "DEBUG"]).set);
 * // { section: "aio", option: "log_level", value: "DEBUG" }
 * ```
 */
export function parseConfigArgs(args: readonly string[]): ConfigArgs {
  const parsed: ConfigArgs = { help: false };
  let get: string | undefined;
  let set: [string, string] | undefined;
  for (let index = 0; index < args.length; index++) {
    const arg = args[index];
    const option = OPTIONS.find((option) =>
      arg === option.short || arg === option.long ||
      arg.startsWith(`${option.long}=`) ||
      (option.takes > 0 && arg.startsWith(option.short) &&
        !arg.startsWith("--"))
    );
    if (!option) throw new UsageError(`unrecognized argument: ${arg}`);
    if (option.takes === 0) {
      if (arg !== option.short && arg !== option.long) {
        throw new UsageError(`unrecognized argument: ${arg}`);
      }
      parsed.help = true;
      continue;
    }
    // `--file=X` and `-fX` carry their value; otherwise it is the next argument, as it is.
    const values = arg.startsWith(`${option.long}=`)
      ? [arg.slice(option.long.length + 1)]
      : arg.length > 2 && !arg.startsWith("--")
      ? [arg.slice(2)]
      : [];
    while (values.length < option.takes) {
      const value = args[++index];
      if (value === undefined) {
        throw new UsageError(
          `argument ${option.short}/${option.long}: expected ${
            option.takes === 1
              ? "one argument"
              : "2 arguments: SECTION:OPTION VALUE"
          }`,
        );
      }
      values.push(value);
    }
    if (option.long === "--file") parsed.file = values[0];
    else if (option.long === "--get") get = values[0];
    else if (set) throw new UsageError("argument -s/--set: given twice");
    else set = [values[0], values[1]];
  }
  if (parsed.file === "") {
    throw new UsageError("argument -f/--file: expected a file name");
  }
  if (get !== undefined) {
    if (set) {
      throw new UsageError(
        "argument -g/--get: not allowed with argument -s/--set",
      );
    }
    const [section, option] = splitKey(get);
    if (section === "" || option === "") {
      throw new UsageError(
        `argument -g/--get: expected SECTION or SECTION:OPTION, got '${get}'`,
      );
    }
    parsed.get = { section, option, text: get };
  }
  if (set) {
    const [section, option] = splitKey(set[0]);
    if (!section || !option) {
      throw new UsageError(
        `argument -s/--set: expected SECTION:OPTION, got '${set[0]}'`,
      );
    }
    parsed.set = { section, option, value: set[1].replaceAll("\\n", "\n") };
  }
  return parsed;
}

/**
 * The command's options. Parsed by hand, not with `node:util`'s parseArgs:
 * loading Deno's Node layer costs about 10 ms, half of `aio config -g`'s
 * start-up budget (see bench/README.md).
 */
const OPTIONS = [
  { short: "-h", long: "--help", takes: 0 },
  { short: "-f", long: "--file", takes: 1 },
  { short: "-g", long: "--get", takes: 1 },
  { short: "-s", long: "--set", takes: 2 },
] as const;

/** Splits `SECTION:OPTION` on the last `:` (an option name never holds one; a section name may). */
function splitKey(text: string): [string, string | undefined] {
  const colon = text.lastIndexOf(":");
  if (colon < 0) return [text, undefined];
  return [text.slice(0, colon), text.slice(colon + 1)];
}

/** A config to show: its parser, whether values are raw, and what to call it in errors. */
interface LoadedConfig {
  parser: ConfigParser;
  raw: boolean;
  where: string;
  dump(): string;
}

function loadConfig(
  file: string | undefined,
  context: CommandContext,
): LoadedConfig {
  if (file !== undefined) {
    const text = readConfigFile(file);
    // Each mode parses once: the raw dump reads a store, -g a parser.
    let parser: ConfigParser | undefined;
    return {
      get parser() {
        return parser ??= new ConfigParser().readString(text, file);
      },
      raw: true,
      where: file,
      dump: () => {
        const store = createStore();
        readInto(store, text, file);
        return dumpRaw(store);
      },
    };
  }
  const user = readUserConfig(context.source);
  const parser = buildConfig(user);
  return {
    parser,
    raw: false,
    where: user?.source ?? DEFAULTS_SOURCE,
    dump: () => parser.toString(),
  };
}

/** The raw document as `toString()` lays it out, without interpolation. */
function dumpRaw(store: ConfigStore): string {
  const parts: string[] = [];
  const write = (name: string, options: OptionMap) => {
    parts.push(`[${name}]\n`);
    for (const [option, entry] of options) {
      parts.push(formatOption(option, entry.value));
    }
    parts.push("\n");
  };
  if (store.defaults.size > 0) write(DEFAULT_SECTION, store.defaults);
  for (const [name, options] of store.sections) write(name, options);
  return parts.join("");
}

function getText(
  config: LoadedConfig,
  get: NonNullable<ConfigArgs["get"]>,
): string {
  const { parser, raw, where } = config;
  const hasSection = (name: string) =>
    name === DEFAULT_SECTION || parser.has(name);
  let { section, option } = get;
  // `-g a:b` names the section `a:b` when there is one and no section `a`.
  if (option !== undefined && !hasSection(section) && hasSection(get.text)) {
    section = get.text;
    option = undefined;
  }
  if (!hasSection(section)) {
    throw new AioError(`No section '${section}' in ${where}`);
  }
  if (option === undefined) {
    return parser.options(section).map((name) =>
      formatOption(name, parser.get(section, name, { raw }))
    ).join("");
  }
  if (!parser.has(section, option)) {
    throw new AioError(
      `No option '${option.toLowerCase()}' in section '${section}' of ${where}`,
    );
  }
  return parser.get(section, option, { raw }) + "\n";
}

async function setValue(
  set: NonNullable<ConfigArgs["set"]>,
  file: string | undefined,
  context: CommandContext,
): Promise<void> {
  // Loaded here so that reading the config does not pay for the editor.
  const [
    { EditError, setOption },
    { describeWriteError, writeFileAtomicSync },
  ] = await Promise.all([
    import("../config/edit.ts"),
    import("../config/atomic_write.ts"),
  ]);
  if (file === undefined && context.source.configString !== undefined) {
    throw new UsageError(
      "argument -s/--set: the config was given as a string: name a file with -f FILE",
    );
  }
  const target = file ?? context.source.configFile ?? findConfigFile() ??
    "aio.conf";
  const text = readForEdit(target);
  let edited: string;
  try {
    edited = setOption(text, set.section, set.option, set.value, {
      source: target,
    });
  } catch (error) {
    if (error instanceof EditError) throw new UsageError(error.message);
    throw error;
  }
  if (edited === text) return;
  try {
    writeFileAtomicSync(target, edited);
  } catch (error) {
    throw new AioError(`Cannot write ${target}: ${describeWriteError(error)}`, {
      cause: error,
    });
  }
}

const rawDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The file's text exactly as stored (BOM and line endings kept); empty when it does not exist. */
function readForEdit(path: string): string {
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "";
    throw new ConfigError(
      `Cannot read config file: ${describeReadError(error)}`,
      { source: path, kind: "ReadError", cause: error },
    );
  }
  let text: string | undefined;
  try {
    text = rawDecoder.decode(bytes);
  } catch {
    // decodeConfig below names the offending byte and line.
  }
  if (text === undefined || text.includes("\0")) {
    decodeConfig(bytes, path);
    throw new ConfigError("Not UTF-8 text", {
      source: path,
      kind: "ReadError",
    });
  }
  return text;
}

const encoder = new TextEncoder();

/** Writes all of `text` to stdout; a reader that went away (`| head`) ends the output quietly. */
function writeStdout(text: string): void {
  const bytes = encoder.encode(text);
  try {
    let written = 0;
    while (written < bytes.length) {
      written += Deno.stdout.writeSync(bytes.subarray(written));
    }
  } catch (error) {
    if (error instanceof Deno.errors.BrokenPipe) return;
    throw error;
  }
}
