/**
 * One exposition from several: with workers, the supervisor serves one
 * `/metrics` that holds every worker's samples, each with a `worker` label.
 *
 * @module
 */

import { escapeLabelValue } from "./_format.ts";

/** One process's exposition and the label value that tells its samples apart. */
export interface LabelledExposition {
  /** The text format, as `Registry.expose()` writes it. */
  text: string;
  /** The value of the label added to each sample (`"1"`, say); none for the supervisor's own. */
  worker?: string;
}

interface Family {
  name: string;
  help?: string;
  type?: string;
  samples: string[];
}

/**
 * Merges expositions into one: each family once (its HELP and TYPE from
 * the first part that has them), then the samples of every part, each with
 * `label="worker"` added when the part has a `worker`. Samples of a family
 * whose TYPE disagrees with the first part's are dropped: one family cannot
 * hold two kinds.
 *
 * @param parts The expositions, in the order their samples should appear.
 * @param label The label name to add (default `worker`).
 * @returns The merged text format.
 *
 * @example
 * ```ts
 * import { mergeExpositions } from "./merge.ts";
 * const text = "# HELP up Up\n# TYPE up gauge\nup 1\n";
 * console.log(mergeExpositions([{ text, worker: "1" }, { text, worker: "2" }]));
 * // # HELP up Up
 * // # TYPE up gauge
 * // up{worker="1"} 1
 * // up{worker="2"} 1
 * ```
 */
export function mergeExpositions(
  parts: readonly LabelledExposition[],
  label = "worker",
): string {
  const families = new Map<string, Family>();
  const family = (name: string) => {
    let found = families.get(name);
    if (!found) families.set(name, found = { name, samples: [] });
    return found;
  };
  for (const part of parts) {
    const pair = part.worker === undefined
      ? undefined
      : `${label}="${escapeLabelValue(part.worker)}"`;
    let current: Family | undefined;
    let conflicting = false;
    for (const line of part.text.split("\n")) {
      if (line === "") continue;
      const meta = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (meta) {
        const [, kind, name, rest = ""] = meta;
        if (current?.name !== name) conflicting = false;
        current = family(name);
        if (kind === "HELP") current.help ??= line;
        else if (current.type === undefined) current.type = rest.trim();
        else if (current.type !== rest.trim()) conflicting = true;
        continue;
      }
      if (line.startsWith("#")) continue;
      const name = sampleName(line);
      const owner = current && belongsTo(name, current) ? current : undefined;
      if (owner && conflicting) continue;
      (owner ?? family(name)).samples.push(
        pair ? withLabel(line, name, pair) : line,
      );
    }
  }
  let text = "";
  for (const { help, type, name, samples } of families.values()) {
    if (help) text += `${help}\n`;
    if (type) text += `# TYPE ${name} ${type}\n`;
    for (const sample of samples) text += `${sample}\n`;
  }
  return text;
}

function sampleName(line: string): string {
  const end = line.search(/[{ ]/);
  return end < 0 ? line : line.slice(0, end);
}

/** A histogram's or summary's `_bucket`, `_sum` and `_count` lines belong to its family. */
function belongsTo(name: string, family: Family): boolean {
  if (name === family.name) return true;
  const suffix = name.slice(family.name.length);
  return name.startsWith(family.name) &&
    (suffix === "_bucket" || suffix === "_sum" || suffix === "_count");
}

function withLabel(line: string, name: string, pair: string): string {
  const rest = line.slice(name.length);
  if (rest.startsWith("{}")) return `${name}{${pair}}${rest.slice(2)}`;
  if (rest.startsWith("{")) return `${name}{${pair},${rest.slice(1)}`;
  return `${name}{${pair}}${rest}`;
}
