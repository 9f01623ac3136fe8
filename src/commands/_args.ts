/**
 * The command line of aio and its built-in commands: one table per command
 * (its options, arguments, help and examples), one parser, one help layout
 * and one wording for every usage error.
 *
 * Parsed here rather than by `node:util`'s parseArgs: that loads Deno's
 * Node layer (about 10 ms of start-up, half of `aio config -g`'s budget),
 * words its errors its own way and cannot suggest a near name. The rules
 * are getopt's, as argparse applies them: `--name VALUE`, `--name=VALUE`,
 * `-n VALUE` and `-nVALUE`; a value is taken as it is, even when it starts
 * with `-`; options and arguments may come in any order; `--` ends the
 * options. Short options do not cluster (`-dh` is not `-d -h`), so every
 * option is one word a wrapper can find and remove. Long options are not
 * abbreviated: a prefix that works today could mean two options tomorrow.
 *
 * @module
 */

import { type Bounds, formatBound, within } from "../config/bounds.ts";
import { UsageError } from "../errors.ts";
import { closest } from "../suggest.ts";

/** One option of a command. */
export interface OptionSpec {
  /** Its long form, such as `--detach`. */
  long: `--${string}`;
  /** Its one-letter form, such as `-d`. */
  short?: `-${string}`;
  /** The names of its values, such as `["FILE"]`; none for a flag. */
  values?: readonly string[];
  /** What it does, for the help page. */
  help: string;
  /** The values it accepts (compared without regard to case); any when absent. */
  choices?: readonly string[];
}

/** A command's whole command line, and the help page made from it. */
export interface CommandSpec {
  /** The command's name (`aio NAME`); empty for aio itself. */
  name: string;
  /** One line for `aio help`. */
  summary: string;
  /** What the command does, for its help page (lines of at most 79 characters). */
  description: string;
  /** Its options (`-h, --help` is added to every command). */
  options: readonly OptionSpec[];
  /** The arguments it takes after its options, if any (`MODULE ...`). */
  arguments?: { name: string; help: string };
  /** Usage lines to print instead of the one made from the options. */
  usage?: readonly string[];
  /** Examples: a command line and what it does. */
  examples: readonly (readonly [string, string])[];
}

/** `-h, --help`: every command has it. */
export const HELP_OPTION: OptionSpec = {
  long: "--help",
  short: "-h",
  help: "show this help and exit",
};

/** The levels `--log-level` accepts: Python's, as `[aio] log_level` takes them. */
export const LOG_LEVELS: readonly string[] = [
  "DEBUG",
  "INFO",
  "WARNING",
  "ERROR",
  "CRITICAL",
];

/**
 * aio's global options. They may come before the command's name or among
 * a built-in command's arguments (`aio run -c app.conf` is
 * `aio -c app.conf run`), so no command may use their names. `-h` is the
 * exception: after a command's name it asks for that command's help.
 */
export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  HELP_OPTION,
  { long: "--version", short: "-V", help: "show aio's version and exit" },
  {
    long: "--config",
    short: "-c",
    values: ["FILE"],
    help:
      "the config file (default: the first of ./aio.conf, ./etc/aio.conf, /etc/aio/aio.conf)",
  },
  {
    long: "--log-level",
    values: ["LEVEL"],
    choices: LOG_LEVELS,
    help: `set [aio] log_level over every config layer: ${
      LOG_LEVELS.join(", ")
    }`,
  },
  { long: "--debug", help: "print stack traces with errors" },
];

/**
 * A mistake on the command line: printed after the usage line of the
 * command it was made in, as argparse does, exit 2.
 */
export class ArgumentError extends UsageError {
  /** The usage lines of the command the mistake was made in. */
  readonly usage: string;
  /** Creates the error for `spec`'s command line. */
  constructor(spec: CommandSpec, message: string) {
    super(spec.name ? `${spec.name}: ${message}` : message);
    this.name = "ArgumentError";
    this.usage = usageText(spec);
  }
}

/**
 * Checks a command's table and returns it: an option that shadows a
 * global one (or another option of the command) is a programming error,
 * thrown when the table is defined, so no command can quietly take
 * `-c` away from `aio run -c FILE`.
 *
 * @example
 * ```ts
 * import { defineCommand } from "./_args.ts";
 * const spec = defineCommand({
 *   name: "hello",
 *   summary: "Say hello",
 *   description: "Says hello.",
 *   options: [{ long: "--loud", help: "shout" }],
 *   examples: [["aio hello --loud", "shout hello"]],
 * });
 * console.log(spec.options.length); // 1
 * ```
 */
export function defineCommand<T extends CommandSpec>(spec: T): T {
  const taken = new Map<string, string>();
  for (const option of GLOBAL_OPTIONS) {
    if (option === HELP_OPTION) continue;
    for (const name of namesOf(option)) taken.set(name, "a global option");
  }
  taken.set("--help", "every command's help");
  taken.set("-h", "every command's help");
  for (const option of spec.options) {
    for (const name of namesOf(option)) {
      const owner = taken.get(name);
      if (owner) {
        throw new Error(
          `Command '${spec.name}' may not define option ${name}: it is ${owner}`,
        );
      }
      taken.set(name, `'${spec.name}''s own`);
    }
  }
  return spec;
}

/** One option as the parser met it: which, its values, the words it took. */
export interface OptionUse {
  /** The option. */
  option: OptionSpec;
  /** Its values (none for a flag). */
  values: string[];
  /** The words of the command line it was given in. */
  words: string[];
}

/** A command line split into options and arguments. */
export interface ScannedArgs {
  /** The options, in the order given. */
  options: OptionUse[];
  /** The arguments, in order (words after `--` included). */
  positionals: string[];
  /** The words the command gets (everything but `extra` options), in order. */
  rest: string[];
}

/** What {@linkcode scanArgs} is told. */
export interface ScanOptions {
  /** Options accepted besides the command's own (aio's globals); their words are left out of `rest`. */
  extra?: readonly OptionSpec[];
  /** Stop at the first argument: everything from it on is in `positionals` (for aio's own line). */
  stopAtArgument?: boolean;
}

/**
 * Splits `args` by `spec`'s options (and `options.extra`): unknown
 * options, missing values and arguments a command does not take are
 * {@linkcode ArgumentError}s, a near option name suggested.
 *
 * @example
 * ```ts
 * import { defineCommand, GLOBAL_OPTIONS, scanArgs } from "./_args.ts";
 * const run = defineCommand({
 *   name: "run", summary: "", description: "", examples: [],
 *   options: [{ long: "--detach", short: "-d", help: "" }],
 * });
 * const scanned = scanArgs(run, ["-c", "app.conf", "-d"], { extra: GLOBAL_OPTIONS });
 * console.log(scanned.rest); // ["-d"]
 * console.log(scanned.options[0].values); // ["app.conf"]
 * ```
 */
export function scanArgs(
  spec: CommandSpec,
  args: readonly string[],
  options: ScanOptions = {},
): ScannedArgs {
  const extra = options.extra ?? [];
  const own = [HELP_OPTION, ...spec.options];
  const known = [...own, ...extra.filter((option) => !own.includes(option))];
  const scanned: ScannedArgs = { options: [], positionals: [], rest: [] };
  const takeArgument = (word: string) => {
    if (!spec.arguments && !options.stopAtArgument) {
      throw new ArgumentError(spec, `unrecognized argument '${word}'`);
    }
    scanned.positionals.push(word);
    scanned.rest.push(word);
  };
  for (let index = 0; index < args.length; index++) {
    const word = args[index];
    if (word === "--") {
      if (options.stopAtArgument) {
        scanned.positionals.push(...args.slice(index + 1));
        break;
      }
      scanned.rest.push(word);
      for (const argument of args.slice(index + 1)) takeArgument(argument);
      break;
    }
    if (!word.startsWith("-") || word === "-") {
      if (options.stopAtArgument) {
        scanned.positionals.push(...args.slice(index));
        break;
      }
      takeArgument(word);
      continue;
    }
    const { option, attached } = findOption(spec, known, word);
    const wanted = option.values?.length ?? 0;
    if (wanted === 0 && attached !== undefined) {
      throw new ArgumentError(
        spec,
        `argument ${displayName(option)}: expected no value, got '${attached}'`,
      );
    }
    const values = attached === undefined ? [] : [attached];
    const words = [word];
    while (values.length < wanted) {
      const value = args[++index];
      if (value === undefined) {
        throw new ArgumentError(
          spec,
          `argument ${displayName(option)}: expected ${
            wanted === 1
              ? "one argument"
              : `${wanted} arguments: ${option.values!.join(" ")}`
          }`,
        );
      }
      values.push(value);
      words.push(value);
    }
    if (option.choices) values[0] = checkChoice(spec, option, values[0]);
    scanned.options.push({ option, values, words });
    if (own.includes(option)) scanned.rest.push(...words);
  }
  return scanned;
}

/** A command's parsed options and arguments. */
export class ParsedArgs {
  readonly #options: OptionUse[];
  /** The arguments, in order. */
  readonly positionals: string[];

  /** Wraps what {@linkcode scanArgs} found. */
  constructor(scanned: ScannedArgs) {
    this.#options = scanned.options;
    this.positionals = scanned.positionals;
  }

  /** Whether the option (by its long form) was given. */
  has(long: string): boolean {
    return this.#options.some((use) => use.option.long === long);
  }

  /** The option's values (by its long form) where it was last given; undefined when it was not. */
  values(long: string): string[] | undefined {
    return this.#options.findLast((use) => use.option.long === long)?.values;
  }

  /** The option's (first) value where it was last given. */
  value(long: string): string | undefined {
    return this.values(long)?.[0];
  }
}

/**
 * Parses a command's own arguments (the runner has taken aio's global
 * options out): what a command calls on the `args` it is handed.
 *
 * @example
 * ```ts
 * import { defineCommand, parseArgs } from "./_args.ts";
 * const compile = defineCommand({
 *   name: "compile", summary: "", description: "", examples: [],
 *   options: [{ long: "--output", short: "-o", values: ["NAME"], help: "" }],
 * });
 * console.log(parseArgs(compile, ["-oapp"]).value("--output")); // "app"
 * ```
 */
export function parseArgs(
  spec: CommandSpec,
  args: readonly string[],
): ParsedArgs {
  return new ParsedArgs(scanArgs(spec, args));
}

/** The usage line(s) of `spec`'s command, starting `usage: aio ...`. */
export function usageText(spec: CommandSpec): string {
  const lines = spec.usage ?? [synopsis(spec)];
  return lines.map((line, index) =>
    `${index === 0 ? "usage:" : "      "} ${line}`
  ).join("\n");
}

/**
 * The help page of `spec`'s command: usage, description, options, global
 * options, examples; the same layout for every command.
 */
export function formatHelp(spec: CommandSpec): string {
  const parts = [usageText(spec), spec.description];
  const rows: [string, string][] = [];
  if (spec.arguments) rows.push([spec.arguments.name, spec.arguments.help]);
  if (rows.length) parts.push(`arguments:\n${table(rows)}`);
  parts.push(
    `options:\n${table(optionRows([HELP_OPTION, ...spec.options]))}`,
  );
  if (spec.name) {
    parts.push(
      "global options (before or after the command's name; see aio help):\n" +
        `  ${
          GLOBAL_OPTIONS.filter((option) => option !== HELP_OPTION).map((
            option,
          ) => `${displayName(option)}${valuesLabel(option)}`).join(", ")
        }`,
    );
  }
  if (spec.examples.length) {
    parts.push(`examples:\n${table([...spec.examples])}`);
  }
  return parts.join("\n\n");
}

/** A two-column table: names padded to one width, descriptions wrapped to 79 columns. */
export function table(rows: readonly (readonly [string, string])[]): string {
  const width = Math.min(Math.max(...rows.map(([name]) => name.length)), 30);
  const indent = 2 + width + 2;
  return rows.map(([name, text]) => {
    const lines = wrap(text, 79 - indent);
    const head = name.length > width
      ? `  ${name}\n${" ".repeat(indent)}${lines[0]}`
      : `  ${name.padEnd(width)}  ${lines[0]}`;
    return [head, ...lines.slice(1).map((line) => " ".repeat(indent) + line)]
      .join("\n");
  }).join("\n");
}

/** The nearest of `candidates` to `word`, as the end of an error: ` (did you mean 'x'?)`, or "". */
export function didYouMean(
  word: string,
  candidates: Iterable<string>,
): string {
  const near = closest(word, candidates);
  return near === undefined ? "" : ` (did you mean '${near}'?)`;
}

/**
 * `invalid choice: 'x'` with the nearest choice, or the whole list when
 * none is near (argparse's wording). Near is a slip of the keyboard, or
 * the start of just one choice (`WARN` for `WARNING`).
 */
export function invalidChoice(
  word: string,
  choices: readonly string[],
): string {
  // Choices such as log levels are matched without regard to case.
  const lower = choices.map((choice) => choice.toLowerCase());
  const typed = word.toLowerCase();
  const starting = lower.filter((choice) => choice.startsWith(typed));
  const near = closest(typed, lower) ??
    (typed.length >= 2 && starting.length === 1 ? starting[0] : undefined);
  return `invalid choice: '${word}' ${
    near === undefined
      ? `(choose from ${quoteAll(choices)})`
      : `(did you mean '${choices[lower.indexOf(near)]}'?)`
  }`;
}

function quoteAll(words: readonly string[]): string {
  return words.map((word) => `'${word}'`).join(", ");
}

function checkChoice(
  spec: CommandSpec,
  option: OptionSpec,
  value: string,
): string {
  const choices = option.choices!;
  const found = choices.find((choice) =>
    choice.toLowerCase() === value.toLowerCase()
  );
  if (found !== undefined) return found;
  throw new ArgumentError(
    spec,
    `argument ${displayName(option)}: ${invalidChoice(value, choices)}`,
  );
}

function findOption(
  spec: CommandSpec,
  known: readonly OptionSpec[],
  word: string,
): { option: OptionSpec; attached?: string } {
  for (const option of known) {
    if (word === option.long || word === option.short) return { option };
    if (word.startsWith(`${option.long}=`)) {
      return { option, attached: word.slice(option.long.length + 1) };
    }
    if (
      option.short && option.values?.length && !word.startsWith("--") &&
      word.startsWith(option.short)
    ) {
      return { option, attached: word.slice(option.short.length) };
    }
  }
  const name = word.includes("=") ? word.slice(0, word.indexOf("=")) : word;
  const flag = known.find((option) => namesOf(option).includes(name));
  if (flag) {
    throw new ArgumentError(
      spec,
      `argument ${displayName(flag)}: expected no value, got '${
        word.slice(name.length + 1)
      }'`,
    );
  }
  const flagNames = known.flatMap(namesOf).filter((n) => n.length > 2);
  throw new ArgumentError(
    spec,
    `unrecognized option '${name}'${didYouMean(name, flagNames)}`,
  );
}

function namesOf(option: OptionSpec): string[] {
  return option.short ? [option.short, option.long] : [option.long];
}

/** `-o/--output` or `--target`, as argparse names an option in errors. */
function displayName(option: OptionSpec): string {
  return namesOf(option).join("/");
}

/** The rows of an options table: `-o, --output NAME` and what it does. */
export function optionRows(
  options: readonly OptionSpec[],
): [string, string][] {
  return options.map((option) => [optionLabel(option), option.help]);
}

/** `-o, --output NAME`, as the help page lists an option. */
function optionLabel(option: OptionSpec): string {
  return `${namesOf(option).join(", ")}${valuesLabel(option)}`;
}

/** ` FILE`, or "" for a flag. */
function valuesLabel(option: OptionSpec): string {
  return option.values?.length ? ` ${option.values.join(" ")}` : "";
}

function synopsis(spec: CommandSpec): string {
  const parts = [spec.name ? `aio ${spec.name}` : "aio"];
  for (const option of [HELP_OPTION, ...spec.options]) {
    parts.push(`[${option.short ?? option.long}${valuesLabel(option)}]`);
  }
  if (spec.arguments) parts.push(spec.arguments.name);
  return parts.join(" ");
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split("\n")) {
    let line = "";
    for (const word of paragraph.split(" ")) {
      if (line && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else {
        line = line ? `${line} ${word}` : word;
      }
    }
    lines.push(line);
  }
  return lines;
}

/**
 * A `SECONDS` argument (`--start-timeout`, `--timeout`, `--lock-timeout`):
 * `value` as seconds within `bounds`, the bounds the config's durations
 * have (`config/bounds.ts`), so a wait a timer cannot hold is a usage
 * error, not a wait that ends at once; undefined when the option was not
 * given.
 *
 * @example
 * ```ts
 * import { secondsArgument } from "./_args.ts";
 * console.log(secondsArgument("--timeout", "2.5", { min: 0, max: 60 })); // 2.5
 * ```
 *
 * @throws {UsageError} `argument --timeout: expected seconds (0 to 60), got 'x'`
 */
export function secondsArgument(
  option: string,
  value: string | undefined,
  bounds: Bounds,
): number | undefined {
  if (value === undefined) return undefined;
  // Decimal numbers only: Number() would also take "0x10" and "" (as 0).
  const seconds = /^\s*(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(value)
    ? Number(value)
    : NaN;
  if (!within(seconds, bounds)) {
    throw new UsageError(
      `argument ${option}: expected seconds (${formatBound(bounds.min)} to ${
        formatBound(bounds.max)
      }), got '${value}'`,
    );
  }
  return seconds;
}
