/**
 * `aio config`: show the config (as text or JSON), get one section or
 * value, or set or unset a value in the file while keeping its layout.
 *
 * Exit codes: 0 done; 1 a lookup miss (`-g` of a missing section or
 * option: the file is fine, the name is not in it), a failed write
 * (read-only file or directory, full disk, a hard-linked file) or a lock
 * another writer held past `--lock-timeout`; 2 bad usage, including a value
 * or name the config format cannot hold (surrounding whitespace, a line
 * break in a name, a bad `$`, a bad escape); 5 `--unset` of an option the
 * file does not set (as `git config --unset`); 78 a config file that is
 * missing, unreadable, not UTF-8 text, does not parse, or whose values fail
 * to interpolate.
 *
 * `-s` and `--unset` write to `-f FILE`, else `-c FILE`, else the file the
 * search finds, else a new `./aio.conf` (`-s` creates a named file that
 * does not exist). VALUE is decoded as Python's `unicode_escape` does
 * (`\n`, `\t`, `\\`, `\xNN`, `\uNNNN`, ...). Edits of one file are serialised
 * by a lock on `.NAME.lock` beside it, held from the read to the rename.
 *
 * What is shown is the config `aio run` and `aio check` use: aio's
 * defaults, the user config, each module's defaults, the user config again,
 * `--log-level`, and `logging.conf` over the logging sections. The modules
 * are imported (through the same path as `aio check`) only when `[aio]
 * modules` lists one; a module that cannot be imported is a config error.
 * Nothing is written and no log file opened.
 *
 * This module is loaded for `aio config` alone, so it imports only the
 * config engine: no logging, no scheduler, no app; the module layer loads
 * only for a config that lists modules, and the editor, the writer and the
 * lock only for `-s` and `--unset`.
 *
 * @module
 */

import type { Command, CommandContext } from "./types.ts";
import { AioError, UsageError } from "../errors.ts";
import { ConfigError, formatSource } from "../config/errors.ts";
import { ConfigParser, formatOption } from "../config/config_parser.ts";
import { DEFAULT_SECTION } from "../config/parser.ts";
import {
  buildConfig,
  type ConfigSourceOptions,
  findConfigFile,
  readUserConfig,
  type UserConfig,
} from "../config/layers.ts";
import { DEFAULTS_SOURCE } from "../config/defaults.ts";
import { isLoggingSection, withLoggingConf } from "../config/logging_conf.ts";
import {
  decodeConfig,
  describeReadError,
  readConfigFile,
} from "../config/read_file.ts";
import { decodePythonEscapes, EscapeError } from "../config/python_escapes.ts";
import { secondsArgument } from "./_args.ts";
/** The usage text `aio config -h` prints. */
export const CONFIG_USAGE =
  `usage: aio config [-h] [-f FILE] [--json] [-g SECTION[:OPTION]]
       aio config [-f FILE] [--lock-timeout SECONDS] -s SECTION:OPTION VALUE
       aio config [-f FILE] [--lock-timeout SECONDS] --unset SECTION:OPTION

Show the whole config as aio run uses it, interpolated: aio's defaults, the
user config, each module's defaults ([aio] modules are imported for them), the
user config again, and logging.conf over the logging sections; or one
section's options (DEFAULT's included), or one value. Or set or remove a
value in a config file, keeping every other byte of it: -s and --unset write
the user config (or -f FILE), never a module's defaults; a value a module's
defaults set is overridden by setting it in the user config.

options:
  -h, --help                  show this help and exit
  -f, --file FILE             use FILE alone, raw: no defaults, no interpolation
  -g, --get SECTION[:OPTION]  print a section's options, or one option's value
  --json                      print as JSON: each option's value and its
                              FILE:LINE source
  -s, --set SECTION:OPTION VALUE
                              set a value in -f FILE, else -c FILE, else the
                              config found, else a new ./aio.conf; VALUE's
                              escapes are Python's ("\\n", "\\t", "\\\\", "\\xNN",
                              "\\uNNNN")
  --unset SECTION:OPTION      remove an option from that file (exit 5 when
                              the file does not set it)
  --lock-timeout SECONDS      how long -s/--unset wait for another writer's
                              lock on the file (default 10)`;

/** A `SECTION:OPTION` on the command line. */
export interface OptionKey {
  /** The section. */
  section: string;
  /** The option. */
  option: string;
}

/** What `aio config` was asked to do. */
export interface ConfigArgs {
  /** `-h`: print the usage. */
  help: boolean;
  /** `--json`: print JSON instead of text. */
  json: boolean;
  /** `-f FILE`: read (or write) this file alone, raw. */
  file?: string;
  /** `-g SECTION` or `-g SECTION:OPTION`, split on the last `:`. */
  get?: { section: string; option?: string; text: string };
  /** `-s SECTION:OPTION VALUE`, with VALUE's escapes decoded. */
  set?: OptionKey & { value: string };
  /** `--unset SECTION:OPTION`. */
  unset?: OptionKey;
  /** `--lock-timeout SECONDS`, in ms. */
  lockTimeoutMs?: number;
}

/** The `aio config` command. */
export const configCommand: Command = {
  description: "Show the config, or get, set and unset values in it",
  run: runConfig,
};

/** The exit code of `--unset` for an option the file does not set, as `git config --unset`. */
export const EXIT_NOT_SET = 5;

/**
 * Runs `aio config ARGS`; returns the exit code. Throws {@linkcode UsageError}
 * (exit 2), {@linkcode AioError} (exit 1, or {@linkcode EXIT_NOT_SET}) or
 * {@linkcode ConfigError} (exit 78).
 */
export async function runConfig(
  args: readonly string[],
  context: CommandContext,
): Promise<number> {
  const parsed = parseConfigArgs(args);
  if (parsed.help) {
    writeStdout(CONFIG_USAGE + "\n");
  } else if (parsed.set || parsed.unset) {
    await editConfig(parsed, context);
  } else {
    const config = await loadConfig(parsed.file, context.source);
    writeStdout(
      parsed.json
        ? JSON.stringify(getJson(config, parsed.get), null, 2) + "\n"
        : parsed.get
        ? getText(config, parsed.get)
        : dumpText(config),
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
  const parsed: ConfigArgs = { help: false, json: false };
  const values = new Map<Option, string[]>();
  for (let index = 0; index < args.length; index++) {
    const arg = args[index];
    const option = OPTIONS.find((option) =>
      arg === option.short || arg === option.long ||
      (option.takes > 0 && arg.startsWith(`${option.long}=`)) ||
      (option.takes > 0 && option.short !== undefined &&
        arg.startsWith(option.short) && !arg.startsWith("--"))
    );
    if (!option) throw new UsageError(`unrecognized argument: ${arg}`);
    // `--file=X` and `-fX` carry their value; otherwise it is the next argument, as it is.
    const given = arg.startsWith(`${option.long}=`)
      ? [arg.slice(option.long.length + 1)]
      : arg.length > 2 && !arg.startsWith("--")
      ? [arg.slice(2)]
      : [];
    while (given.length < option.takes) {
      const value = args[++index];
      if (value === undefined) {
        throw new UsageError(
          `argument ${optionName(option)}: expected ${
            option.takes === 1
              ? "one argument"
              : "2 arguments: SECTION:OPTION VALUE"
          }`,
        );
      }
      given.push(value);
    }
    if (values.has(option) && option.action) {
      throw new UsageError(`argument ${optionName(option)}: given twice`);
    }
    values.set(option, given);
  }
  const actions = OPTIONS.filter((option) =>
    option.action && values.has(option)
  );
  if (actions.length > 1) {
    throw new UsageError(
      `argument ${optionName(actions[1])}: not allowed with argument ${
        optionName(actions[0])
      }`,
    );
  }
  const value = (long: string) =>
    values.get(OPTIONS.find((option) => option.long === long)!);
  parsed.help = value("--help") !== undefined;
  parsed.json = value("--json") !== undefined;
  parsed.file = value("--file")?.[0];
  if (parsed.file === "") {
    throw new UsageError("argument -f/--file: expected a file name");
  }
  const get = value("--get")?.[0];
  if (get !== undefined) {
    const [section, option] = splitKey(get);
    if (section === "" || option === "") {
      throw new UsageError(
        `argument -g/--get: expected SECTION or SECTION:OPTION, got '${get}'`,
      );
    }
    parsed.get = { section, option, text: get };
  }
  const set = value("--set");
  if (set) {
    parsed.set = {
      ...optionKey("-s/--set", set[0]),
      value: decodeValue(set[1]),
    };
  }
  const unset = value("--unset");
  if (unset) parsed.unset = optionKey("--unset", unset[0]);
  if (parsed.json && (parsed.set || parsed.unset)) {
    throw new UsageError(
      `argument --json: not allowed with argument ${
        parsed.set ? "-s/--set" : "--unset"
      }`,
    );
  }
  const lockTimeout = secondsArgument(
    "--lock-timeout",
    value("--lock-timeout")?.[0],
    { min: 0, max: 86_400 },
  );
  if (lockTimeout !== undefined) parsed.lockTimeoutMs = lockTimeout * 1000;
  return parsed;
}

interface Option {
  short?: string;
  long: string;
  takes: number;
  /** One of the mutually exclusive things the command can do. */
  action?: boolean;
}

/**
 * The command's options. Parsed by hand, not with `node:util`'s parseArgs:
 * loading Deno's Node layer costs about 10 ms, half of `aio config -g`'s
 * start-up budget (see bench/README.md).
 */
const OPTIONS: readonly Option[] = [
  { short: "-h", long: "--help", takes: 0 },
  { short: "-f", long: "--file", takes: 1 },
  { long: "--json", takes: 0 },
  { short: "-g", long: "--get", takes: 1, action: true },
  { short: "-s", long: "--set", takes: 2, action: true },
  { long: "--unset", takes: 1, action: true },
  { long: "--lock-timeout", takes: 1 },
];

function optionName(option: Option): string {
  return option.short ? `${option.short}/${option.long}` : option.long;
}

/** Splits `SECTION:OPTION` on the last `:` (an option name never holds one; a section name may). */
function splitKey(text: string): [string, string | undefined] {
  const colon = text.lastIndexOf(":");
  if (colon < 0) return [text, undefined];
  return [text.slice(0, colon), text.slice(colon + 1)];
}

function optionKey(name: string, text: string): OptionKey {
  const [section, option] = splitKey(text);
  if (!section || !option) {
    throw new UsageError(
      `argument ${name}: expected SECTION:OPTION, got '${text}'`,
    );
  }
  return { section, option };
}

function decodeValue(value: string): string {
  try {
    return decodePythonEscapes(value);
  } catch (error) {
    if (!(error instanceof EscapeError)) throw error;
    throw new UsageError(
      `argument -s/--set: bad escape in VALUE at position ${error.position}: ${error.message}`,
    );
  }
}

/**
 * A config to show: the app's config, the one logging reads (with
 * `logging.conf` on top), whether values are raw, and what to call it in
 * errors.
 */
interface LoadedConfig {
  parser: ConfigParser;
  /** What the logging sections are read from: `parser` with `logging.conf` over it (`parser` itself when there is none, or with `-f`). */
  logging: ConfigParser;
  raw: boolean;
  where: string;
}

async function loadConfig(
  file: string | undefined,
  source: ConfigSourceOptions,
): Promise<LoadedConfig> {
  if (file !== undefined) {
    const parser = new ConfigParser().readString(readConfigFile(file), file);
    return { parser, logging: parser, raw: true, where: file };
  }
  const user = readUserConfig(source);
  const first = buildConfig(user, [], source.overrides);
  const parser = first.get("aio", "modules", { raw: true, fallback: "" })
      .trim() === ""
    ? first
    : await withModules(user, source);
  return {
    parser,
    logging: withLoggingConf(parser),
    raw: false,
    where: user?.source ?? DEFAULTS_SOURCE,
  };
}

/**
 * The config with the modules' layers, built by the path `aio check` takes
 * (`layerConfig` of prepare.ts): the modules are imported for their
 * defaults, each import bounded as check bounds it; nothing is set up.
 * Throws every problem found (exit 78).
 */
async function withModules(
  user: UserConfig | undefined,
  source: ConfigSourceOptions,
): Promise<ConfigParser> {
  const [
    { layerConfig },
    { ModuleLoader },
    { Problems },
    { IMPORT_TIMEOUT_MS },
  ] = await Promise.all([
    import("../prepare.ts"),
    import("../refs.ts"),
    import("../config/problems.ts"),
    import("./_prepared.ts"),
  ]);
  const loader = new ModuleLoader();
  loader.importTimeoutMs = IMPORT_TIMEOUT_MS;
  const problems = new Problems();
  const { config } = await layerConfig(user, {
    loader,
    overrides: source.overrides,
  }, problems);
  problems.throwIfAny();
  return config;
}

/** The parser a section is shown from: logging's for the logging sections. */
function parserOf(config: LoadedConfig, section: string): ConfigParser {
  return isLoggingSection(section) ? config.logging : config.parser;
}

/** The sections the dump shows, in order: DEFAULT first when it has options, then logging.conf's new logging sections. */
function shownSections(config: LoadedConfig): string[] {
  const { parser, logging } = config;
  const sections = parser.sections();
  const known = new Set(sections);
  for (const section of logging.sections()) {
    if (isLoggingSection(section) && !known.has(section)) {
      sections.push(section);
    }
  }
  return parser.options(DEFAULT_SECTION).length > 0
    ? [DEFAULT_SECTION, ...sections]
    : sections;
}

/** Every section as `-g SECTION` prints it, under its header, a blank line after each. */
function dumpText(config: LoadedConfig): string {
  const parts: string[] = [];
  for (const section of shownSections(config)) {
    parts.push(`[${section}]\n`, sectionText(config, section), "\n");
  }
  return parts.join("");
}

/** A section's `option = value` lines: its own options, then those it has from DEFAULT. */
function sectionText(config: LoadedConfig, section: string): string {
  const { raw } = config;
  const parser = parserOf(config, section);
  return parser.options(section).map((name) =>
    formatOption(name, parser.get(section, name, { raw }))
  ).join("");
}

/** Resolves `-g`: the section and, when one was named, the option (existing, or an AioError). */
function lookUp(
  config: LoadedConfig,
  get: NonNullable<ConfigArgs["get"]>,
): { section: string; option?: string } {
  const { where } = config;
  const hasSection = (name: string) =>
    name === DEFAULT_SECTION || parserOf(config, name).has(name);
  let { section, option } = get;
  // `-g a:b` names the section `a:b` when there is one and no section `a`.
  if (option !== undefined && !hasSection(section) && hasSection(get.text)) {
    section = get.text;
    option = undefined;
  }
  if (!hasSection(section)) {
    throw new AioError(`No section '${section}' in ${where}`);
  }
  if (option !== undefined && !parserOf(config, section).has(section, option)) {
    throw new AioError(
      `No option '${option.toLowerCase()}' in section '${section}' of ${where}`,
    );
  }
  return { section, option };
}

function getText(
  config: LoadedConfig,
  get: NonNullable<ConfigArgs["get"]>,
): string {
  const { section, option } = lookUp(config, get);
  if (option === undefined) return sectionText(config, section);
  return parserOf(config, section).get(section, option, { raw: config.raw }) +
    "\n";
}

/** One option in `--json` output. */
export interface OptionJson {
  /** The value (interpolated, or raw with `-f`). */
  value: string;
  /** Where the winning value was written, as `FILE:LINE`. */
  source: string;
  /** The file alone. */
  file: string;
  /** The 1-based line alone. */
  line: number;
}

/** A section in `--json` output: its options in `-g SECTION` order. */
export type SectionJson = Record<string, OptionJson>;

/** The whole config in `--json` output. */
export interface ConfigJson {
  /** The files read, in the order they were layered. */
  files: string[];
  /** The sections in dump order (DEFAULT first when it has options). */
  sections: Record<string, SectionJson>;
}

function optionJson(
  config: LoadedConfig,
  section: string,
  option: string,
): OptionJson {
  const { raw } = config;
  const parser = parserOf(config, section);
  const { file, line } = parser.source(section, option);
  return {
    value: parser.get(section, option, { raw }),
    source: formatSource(file, line),
    file,
    line,
  };
}

function sectionJson(config: LoadedConfig, section: string): SectionJson {
  const json: SectionJson = {};
  for (const option of parserOf(config, section).options(section)) {
    json[option] = optionJson(config, section, option);
  }
  return json;
}

/** `--json`: the whole config, one section or one option; each is the matching part of the whole. */
function getJson(
  config: LoadedConfig,
  get: ConfigArgs["get"],
): ConfigJson | SectionJson | OptionJson {
  if (get) {
    const { section, option } = lookUp(config, get);
    return option === undefined
      ? sectionJson(config, section)
      : optionJson(config, section, option);
  }
  const sections: Record<string, SectionJson> = {};
  for (const section of shownSections(config)) {
    sections[section] = sectionJson(config, section);
  }
  return { files: [...new Set(config.logging.files)], sections };
}

/** The editor, the atomic writer and the lock: loaded for `-s` and `--unset` alone. */
async function loadEditor() {
  const [edit, write, lock] = await Promise.all([
    import("../config/edit.ts"),
    import("../config/atomic_write.ts"),
    import("../config/edit_lock.ts"),
  ]);
  return { ...edit, ...write, ...lock };
}

type Editor = Awaited<ReturnType<typeof loadEditor>>;

/** `text` with the `-s` or `--unset` change made; its errors as exit codes 2 and 5. */
function applyChange(
  editor: Editor,
  parsed: ConfigArgs,
  text: string,
  name: string,
): string {
  const { set, unset } = parsed;
  try {
    return set
      ? editor.setOption(text, set.section, set.option, set.value, {
        source: name,
      })
      : editor.unsetOption(text, unset!.section, unset!.option, {
        source: name,
      });
  } catch (error) {
    if (error instanceof editor.EditError) throw new UsageError(error.message);
    if (error instanceof editor.NotSetError) {
      throw new AioError(error.message, { exitCode: EXIT_NOT_SET });
    }
    throw error;
  }
}

/** `-s` and `--unset`: read, change and replace the file, holding its edit lock throughout. */
async function editConfig(
  parsed: ConfigArgs,
  context: CommandContext,
): Promise<void> {
  if (parsed.file === undefined && context.source.configString !== undefined) {
    throw new UsageError(
      `argument ${
        parsed.set ? "-s/--set" : "--unset"
      }: the config was given as a string: name a file with -f FILE`,
    );
  }
  const editor = await loadEditor();
  const name = parsed.file ?? context.source.configFile ?? findConfigFile() ??
    "aio.conf";
  const change = (text: string) => applyChange(editor, parsed, text, name);
  const cannotWrite = (error: unknown, what = "") =>
    new AioError(
      `Cannot write ${name}: ${what}${editor.describeWriteError(error)}`,
      { cause: error },
    );
  let target: string;
  try {
    target = editor.resolveSymlinks(name);
  } catch (error) {
    throw cannotWrite(error);
  }
  // Nothing to unset in a file that is not there; no lock file either.
  if (parsed.unset && !exists(target)) change("");
  let lock;
  try {
    lock = await editor.lockForEdit(target, {
      timeoutMs: parsed.lockTimeoutMs,
    });
  } catch (error) {
    if (error instanceof editor.LockTimeoutError) {
      throw new AioError(
        `Cannot edit ${name}: ${error.message}; nothing was written`,
        { cause: error },
      );
    }
    // A directory nobody may write to cannot change under us either: an
    // edit that changes nothing (the same value, nothing to unset) still
    // answers; any other says why it cannot be written.
    if (exists(target)) {
      const text = readForEdit(target, name);
      if (change(text) === text) return;
    }
    throw cannotWrite(
      error,
      `cannot create the lock file ${editor.lockPathFor(target)}: `,
    );
  }
  try {
    const text = readForEdit(target, name);
    const edited = change(text);
    if (edited === text) return;
    try {
      editor.writeFileAtomicSync(target, edited);
    } catch (error) {
      throw cannotWrite(error);
    }
  } finally {
    lock.release();
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

const rawDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The file's text exactly as stored (BOM and line endings kept); empty when it does not exist. `name` is what errors call it. */
function readForEdit(path: string, name: string): string {
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "";
    throw new ConfigError(
      `Cannot read config file: ${describeReadError(error)}`,
      { source: name, kind: "ReadError", cause: error },
    );
  }
  let text: string | undefined;
  try {
    text = rawDecoder.decode(bytes);
  } catch {
    // decodeConfig below names the offending byte and line.
  }
  if (text === undefined || text.includes("\0")) {
    decodeConfig(bytes, name);
    throw new ConfigError("Not UTF-8 text", {
      source: name,
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
