/**
 * Parse time against document size: 1x, 4x and 16x of a ~1 MB document.
 * Linear parsing shows as time per MB staying flat across the three.
 *
 * ```sh
 * deno bench -A bench/parse_bench.ts
 * ```
 *
 * @module
 */

import { ConfigParser } from "../src/config/config_parser.ts";
import { makeDocument } from "./parse_vs_cpython.ts";

const MB = 1_000_000;

for (const factor of [1, 4, 16]) {
  const text = makeDocument(factor * MB);
  Deno.bench({
    name: `readString ${factor} MB`,
    group: "parse size",
    baseline: factor === 1,
    fn() {
      new ConfigParser().readString(text, "bench.conf");
    },
  });
}

const interpolated = new ConfigParser().readString(makeDocument(MB));
const sections = interpolated.sections();

Deno.bench({
  name: "get every value of a 1 MB document, interpolated",
  group: "interpolation",
  fn() {
    for (const section of sections) {
      for (const option of interpolated.options(section)) {
        interpolated.get(section, option);
      }
    }
  },
});
