/**
 * Finding the user's config and stacking the four layers of SPEC 1:
 * built-in defaults, the user config, each module's defaults, the user
 * config again.
 *
 * @module
 */

import { ConfigParser, formatOption } from "./config_parser.ts";
import { DEFAULT_CONFIG, DEFAULTS_SOURCE } from "./defaults.ts";
import { readConfigFile } from "./read_file.ts";

/** Where aio looks for a config when no `-c FILE` is given, in order. */
export const SEARCH_PATHS: readonly string[] = [
  "aio.conf",
  "etc/aio.conf",
  "/etc/aio/aio.conf",
];

/** A module's own defaults: layer 3. */
export interface ModuleDefaults {
  /** The text of the module's defaults. */
  text: string;
  /** Where the text came from (a file path or URL, or {@linkcode aioConfigSource}'s name for an export). */
  source: string;
}

const AIO_CONFIG_SUFFIX = "#aioConfig";

/**
 * The name a module's `aioConfig` export goes by as a layer (in errors,
 * `FILE:LINE` sources and `aio check`'s list of what it read):
 * `SPECIFIER#aioConfig`, the reference that names it. It is not a file.
 *
 * @example
 * ```ts
 * import { aioConfigSource, isAioConfigSource } from "./layers.ts";
 * console.log(aioConfigSource("mylib")); // "mylib#aioConfig"
 * console.log(isAioConfigSource("mylib#aioConfig")); // true
 * ```
 */
export function aioConfigSource(specifier: string): string {
  return `${specifier}${AIO_CONFIG_SUFFIX}`;
}

/** Whether a layer's name is a module's `aioConfig` export ({@linkcode aioConfigSource}), not a file. */
export function isAioConfigSource(source: string): boolean {
  return source.endsWith(AIO_CONFIG_SUFFIX);
}

/** Where the user config comes from. */
export interface ConfigSourceOptions {
  /** The config as a string (wins over `configFile`). */
  configString?: string;
  /** The name `configString` goes by: relative references resolve against its directory (default `<string>`). */
  configSource?: string;
  /** The config file to read. */
  configFile?: string;
  /** Look through {@linkcode SEARCH_PATHS} when neither of the above is given (default true). */
  searchForConfig?: boolean;
  /** Values that win over every layer, such as `--log-level`'s. */
  overrides?: readonly ConfigOverride[];
}

/** A value set from outside the files (the command line's `--log-level`): it wins over every layer. */
export interface ConfigOverride {
  /** The section (it need not exist). */
  section: string;
  /** The option. */
  option: string;
  /** The raw value, in the config's own dialect. */
  value: string;
}

/** The name values from {@linkcode ConfigOverride}s report as their file. */
export const OVERRIDES_SOURCE = "<command line>";

/** The user's config text and its name, or undefined when there is none. */
export interface UserConfig {
  /** The document. */
  text: string;
  /** Its file path, or `<string>` for a string. */
  source: string;
}

/** Finds the first of {@linkcode SEARCH_PATHS} that exists, relative to the working directory. */
export function findConfigFile(): string | undefined {
  for (const path of SEARCH_PATHS) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // Missing, or not ours to read: try the next place.
    }
  }
  return undefined;
}

/** Reads the user config named by `options`, or finds one; throws ConfigError on a bad file. */
export function readUserConfig(
  options: ConfigSourceOptions,
): UserConfig | undefined {
  if (options.configString !== undefined) {
    return {
      text: options.configString,
      source: options.configSource ?? "<string>",
    };
  }
  const file = options.configFile ??
    (options.searchForConfig === false ? undefined : findConfigFile());
  if (file === undefined) return undefined;
  return { text: readConfigFile(file), source: file };
}

/**
 * Stacks the layers into one parser. Module defaults sit between the two
 * reads of the user config so the user always has the last word, but for
 * `overrides` (the command line), read last of all.
 *
 * @example
 * ```ts
 * import { buildConfig } from "./layers.ts";
 * const config = buildConfig({ text: "[aio]\nlog_level = DEBUG\n", source: "app.conf" });
 * console.log(config.get("aio", "log_level")); // "DEBUG"
 * const loud = buildConfig(undefined, [], [{ section: "aio", option: "log_level", value: "ERROR" }]);
 * console.log(loud.get("aio", "log_level")); // "ERROR"
 * ```
 */
export function buildConfig(
  user: UserConfig | undefined,
  modules: readonly ModuleDefaults[] = [],
  overrides: readonly ConfigOverride[] = [],
): ConfigParser {
  const parser = new ConfigParser();
  parser.readString(DEFAULT_CONFIG, DEFAULTS_SOURCE);
  if (user) parser.readString(user.text, user.source);
  if (modules.length > 0) {
    for (const layer of modules) parser.readString(layer.text, layer.source);
    if (user) parser.readString(user.text, user.source);
  }
  if (overrides.length > 0) {
    parser.readString(overridesText(overrides), OVERRIDES_SOURCE);
  }
  return parser;
}

/** The overrides as one document: a section once, an option once (the last given wins). */
function overridesText(overrides: readonly ConfigOverride[]): string {
  const sections = new Map<string, Map<string, string>>();
  for (const { section, option, value } of overrides) {
    const options = sections.get(section) ?? new Map<string, string>();
    options.set(option.toLowerCase(), value);
    sections.set(section, options);
  }
  return [...sections].map(([section, options]) =>
    `[${section}]\n${
      [...options].map(([option, value]) => formatOption(option, value)).join(
        "",
      )
    }`
  ).join("");
}
