// Parsing an exposition with a real Prometheus parser: the Python client's
// text-format parser (Debian's python3-prometheus-client; .ci/run installs it).

/** The Python that has prometheus_client (Debian's, not a pyenv shim on PATH). */
export const PYTHON = "/usr/bin/python3";

/** A sample as the parser read it. */
export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A family as the parser read it (its name without `_total` for counters, as the client does). */
export interface ParsedFamily {
  name: string;
  type: string;
  help: string;
  samples: ParsedSample[];
}

const SCRIPT = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for family in text_string_to_metric_families(sys.stdin.read()):
    out.append({
        "name": family.name, "type": family.type, "help": family.documentation,
        "samples": [{"name": s.name, "labels": s.labels, "value": repr(float(s.value))}
                    for s in family.samples],
    })
print(json.dumps(out))
`;

/** Parses `text` with prometheus_client; rejects with the parser's error when it refuses it. */
export async function parseExposition(text: string): Promise<ParsedFamily[]> {
  const child = new Deno.Command(PYTHON, {
    args: ["-c", SCRIPT],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  if (code !== 0) {
    throw new Error(
      `prometheus_client refused the text:\n${decoder.decode(stderr)}`,
    );
  }
  const families = JSON.parse(decoder.decode(stdout)) as (
    & Omit<ParsedFamily, "samples">
    & {
      samples: {
        name: string;
        labels: Record<string, string>;
        value: string;
      }[];
    }
  )[];
  return families.map((family) => ({
    ...family,
    samples: family.samples.map((sample) => ({
      ...sample,
      value: pythonFloat(sample.value),
    })),
  }));
}

function pythonFloat(text: string): number {
  if (text === "inf") return Infinity;
  if (text === "-inf") return -Infinity;
  if (text === "nan") return NaN;
  return Number(text);
}

/** The value of the sample named `name` with exactly `labels`, or undefined. */
export function sampleValue(
  families: ParsedFamily[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const family of families) {
    for (const sample of family.samples) {
      if (sample.name !== name) continue;
      const keys = Object.keys(sample.labels);
      if (
        keys.length === Object.keys(labels).length &&
        keys.every((key) => sample.labels[key] === labels[key])
      ) return sample.value;
    }
  }
  return undefined;
}
