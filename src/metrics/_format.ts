/**
 * The Prometheus text exposition format 0.0.4, the parts every metric kind
 * shares: names, escaping and numbers.
 *
 * @module
 */

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Throws unless `name` is a valid metric name. */
export function checkMetricName(name: string): void {
  if (!METRIC_NAME.test(name)) {
    throw new TypeError(`Invalid metric name: ${JSON.stringify(name)}`);
  }
}

/** Throws unless every label name is valid, unreserved and unique. */
export function checkLabelNames(
  metric: string,
  names: readonly string[],
  reserved: readonly string[] = [],
): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (!LABEL_NAME.test(name) || name.startsWith("__")) {
      throw new TypeError(
        `Invalid label name for ${metric}: ${JSON.stringify(name)}`,
      );
    }
    if (reserved.includes(name) || seen.has(name)) {
      throw new TypeError(
        `Label name ${
          JSON.stringify(name)
        } is reserved or repeated in ${metric}`,
      );
    }
    seen.add(name);
  }
}

/** A label value as it stands between the quotes: `\`, `"` and newline escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => c === "\n" ? "\\n" : `\\${c}`);
}

/** HELP text: `\` and newline escaped (quotes stay as they are). */
export function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => c === "\n" ? "\\n" : "\\\\");
}

/**
 * A sample value as Prometheus parses it (Go's ParseFloat): `+Inf`, `-Inf`,
 * `NaN`, else the shortest decimal that reads back as the same number.
 */
export function formatValue(value: number): string {
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  if (Number.isNaN(value)) return "NaN";
  return String(value);
}

/** `a="x",b="y"` for the names and values, in order (no braces). */
export function labelPairs(
  names: readonly string[],
  values: readonly string[],
): string {
  return names.map((name, i) => `${name}="${escapeLabelValue(values[i])}"`)
    .join(",");
}

/** `{pairs}`, or nothing when there are no pairs. */
export function braces(pairs: string): string {
  return pairs ? `{${pairs}}` : "";
}

/** The `# HELP` and `# TYPE` lines of a family. */
export function header(name: string, help: string, type: string): string {
  return `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`;
}

/**
 * The sample lines of a family whose children hold one value each
 * (counters and gauges): `NAME{PAIRS} VALUE` per child.
 *
 * @example
 * ```ts
 * import { valueLines } from "./_format.ts";
 * valueLines("jobs_total", [{ pairs: 'queue="a"', value: 3 }]); // 'jobs_total{queue="a"} 3\n'
 * ```
 */
export function valueLines(
  name: string,
  children: Iterable<{ readonly pairs: string; readonly value: number }>,
): string {
  let text = "";
  for (const child of children) {
    text += `${name}${braces(child.pairs)} ${formatValue(child.value)}\n`;
  }
  return text;
}
