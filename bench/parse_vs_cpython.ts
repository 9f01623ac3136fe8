/**
 * aio's config parser against CPython's `configparser` on the same ~1 MB
 * document, timed in the same run:
 *
 * ```sh
 * deno run -A bench/parse_vs_cpython.ts [--size BYTES] [--runs N]
 * ```
 *
 * CPython times itself (`time.perf_counter` around `read_string`, best of N
 * runs, in a python3 subprocess) so process start-up is not counted; aio is
 * timed the same way here. The target is aio at least 5x faster.
 *
 * @module
 */

import { ConfigParser } from "../src/config/config_parser.ts";

/**
 * A realistic config document of about `bytes` bytes: sections with plain,
 * multi-line, commented and interpolated options, DEFAULT included.
 * Deterministic, so every run and both parsers see the same text.
 */
export function makeDocument(bytes: number): string {
  const parts: string[] = [
    "# generated for bench/parse_vs_cpython.ts\n[DEFAULT]\nroot = /srv/app\nlevel = INFO\n\n",
  ];
  let size = parts[0].length;
  for (let i = 0; size < bytes; i++) {
    const block = `[server/app${i}]
; server number ${i}
protocol = ./servers/app${i}.ts#Protocol
address = 127.0.0.${i % 250}
port = ${1024 + (i % 60000)}
path = \${root}/run/app${i}.sock
Log_Level: \${DEFAULT:level}
modules =
    ./a${i}.ts
    ./b${i}.ts

    ./c${i}.ts
description = a fairly long value that says what server ${i} is for, so lines are not all tiny
  # a comment inside the value
  and a continuation line

`;
    parts.push(block);
    size += block.length;
  }
  return parts.join("");
}

/** Best-of-`runs` milliseconds for one `readString` of `text`. */
export function timeAio(text: string, runs: number): number {
  let best = Infinity;
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    new ConfigParser().readString(text, "bench.conf");
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

const PYTHON_TIMER = `
import configparser, sys, time
text = sys.stdin.read()
runs = int(sys.argv[1])
best = float("inf")
for _ in range(runs):
    parser = configparser.ConfigParser(interpolation=configparser.ExtendedInterpolation())
    start = time.perf_counter()
    parser.read_string(text, "bench.conf")
    best = min(best, time.perf_counter() - start)
print(best * 1000)
`;

/** Best-of-`runs` milliseconds for CPython's `read_string` of `text`. */
export async function timeCpython(text: string, runs: number): Promise<number> {
  const child = new Deno.Command("python3", {
    args: ["-c", PYTHON_TIMER, String(runs)],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const { success, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  if (!success) throw new Error(`python3 failed: ${decoder.decode(stderr)}`);
  return Number(decoder.decode(stdout).trim());
}

function flag(name: string, fallback: number): number {
  const at = Deno.args.indexOf(name);
  return at >= 0 ? Number(Deno.args[at + 1]) : fallback;
}

if (import.meta.main) {
  const size = flag("--size", 1_000_000);
  const runs = flag("--runs", 7);
  const text = makeDocument(size);
  const lines = text.split("\n").length;
  // Warm the JIT before timing, as CPython's own code is already compiled.
  timeAio(text, 3);
  const aio = timeAio(text, runs);
  const cpython = await timeCpython(text, runs);
  console.log(
    `document: ${
      (text.length / 1e6).toFixed(2)
    } MB, ${lines} lines; best of ${runs} runs`,
  );
  console.log(
    `cpython 3.11 configparser.read_string: ${cpython.toFixed(1)} ms`,
  );
  console.log(`aio ConfigParser.readString:            ${aio.toFixed(1)} ms`);
  console.log(`aio is ${(cpython / aio).toFixed(1)}x faster than CPython`);
}
