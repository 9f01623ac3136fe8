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
 *
 * This module is loaded for `aio config` alone, so it imports only the
 * config engine: no logging, no scheduler, no app.
 *
 * @module
 */

import { parseArgs } from "node:util";
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
import { EditError, setOption } from "../config/edit.ts";
import {
  describeWriteError,
  writeFileAtomicSync,
} from "../config/atomic_write.ts";

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
export function runConfig(
  args: readonly string[],
  context: CommandContext,
): number {
  const parsed = parseConfigArgs(args);
  if (parsed.help) {
    writeStdout(CONFIG_USAGE + "\n");
  } else if (parsed.set) {
    setValue(parsed.set, parsed.file, context);
  } else {
    const config = loadConfig(parsed.file, context);
    writeStdout(
      parsed.get ? getText(config, parsed.get) : config.dump(),
    );
  }
  return 0;
}

/**
 * Parses `aio config`'s own arguments. `-s` takes the next two arguments
 * as they are, so a VALUE may start with `-`.
 *
 * @example
 * ```ts
 * import { parseConfigArgs } from "./config.ts";
 * console.log(parseConfigArgs(["-s", "aio:log_level", "DEBUG"]).set);
 * // { section: "aio", option: "log_level", value: "DEBUG" }
 * ```
 */
export function parseConfigArgs(args: readonly string[]): ConfigArgs {
  const rest: string[] = [];
  let set: [string, string] | undefined;
  for (let index = 0; index < args.length; index++) {
    const arg = args[index];
    let key: string | undefined;
    if (arg === "--") {
      rest.push(...args.slice(index));
      break;
    } else if (arg === "-s" || arg === "--set") {
      key = args[++index];
    } else if (arg.startsWith("--set=")) {
      key = arg.slice("--set=".length);
    } else if (arg.startsWith("-s") && !arg.startsWith("--")) {
      key = arg.slice(2);
    } else {
      rest.push(arg);
      // Keep an option's argument with it, so `-f -s` names a file.
      if (/^(-f|--file|-g|--get)$/.test(arg) && index + 1 < args.length) {
        rest.push(args[++index]);
      }
      continue;
    }
    const value = args[++index];
    if (key === undefined || value === undefined) {
      throw new UsageError(
        "argument -s/--set: expected 2 arguments: SECTION:OPTION VALUE",
      );
    }
    if (set) throw new UsageError("argument -s/--set: given twice");
    set = [key, value];
  }
  const { values } = parseOwnArgs(rest);
  const parsed: ConfigArgs = { help: values.help ?? false, file: values.file };
  if (values.file === "") {
    throw new UsageError("argument -f/--file: expected a file name");
  }
  if (values.get !== undefined) {
    if (set) {
      throw new UsageError(
        "argument -g/--get: not allowed with argument -s/--set",
      );
    }
    const [section, option] = splitKey(values.get);
    if (section === "" || option === "") {
      throw new UsageError(
        `argument -g/--get: expected SECTION or SECTION:OPTION, got '${values.get}'`,
      );
    }
    parsed.get = { section, option, text: values.get };
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

function parseOwnArgs(args: string[]) {
  try {
    return parseArgs({
      args,
      options: {
        file: { type: "string", short: "f" },
        get: { type: "string", short: "g" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new UsageError(describeArgsError(error));
  }
}

function describeArgsError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? "";
  const code = (error as { code?: string }).code;
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    return `unrecognized argument: ${quoted}`;
  }
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
    return `unrecognized argument: ${quoted}`;
  }
  if (message.includes("argument missing")) {
    const name = quoted.replace(" <value>", "").replace(", ", "/");
    return `argument ${name}: expected one argument`;
  }
  return message.split("\n")[0];
}

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
    const store = createStore();
    readInto(store, text, file);
    // The parser is only built for -g; the raw dump reads the store.
    let parser: ConfigParser | undefined;
    return {
      get parser() {
        return parser ??= new ConfigParser().readString(text, file);
      },
      raw: true,
      where: file,
      dump: () => dumpRaw(store),
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

function setValue(
  set: NonNullable<ConfigArgs["set"]>,
  file: string | undefined,
  context: CommandContext,
): void {
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
