import assert from "node:assert/strict";
import { mergeExpositions } from "../../src/metrics/merge.ts";

Deno.test("merge groups each family's samples together, HELP and TYPE once", () => {
  const one = `# HELP a_total A
# TYPE a_total counter
a_total{x="1"} 1
# HELP h H
# TYPE h histogram
h_bucket{le="1"} 1
h_bucket{le="+Inf"} 1
h_sum 0.5
h_count 1
`;
  const two = `# HELP a_total A
# TYPE a_total counter
a_total{x="1"} 5
a_total{} 2
# HELP h H
# TYPE h histogram
h_bucket{le="1"} 0
h_bucket{le="+Inf"} 0
h_sum 0
h_count 0
`;
  assert.equal(
    mergeExpositions([{ text: one, worker: "1" }, {
      text: two,
      worker: 'w"2',
    }]),
    `# HELP a_total A
# TYPE a_total counter
a_total{worker="1",x="1"} 1
a_total{worker="w\\"2",x="1"} 5
a_total{worker="w\\"2"} 2
# HELP h H
# TYPE h histogram
h_bucket{worker="1",le="1"} 1
h_bucket{worker="1",le="+Inf"} 1
h_sum{worker="1"} 0.5
h_count{worker="1"} 1
h_bucket{worker="w\\"2",le="1"} 0
h_bucket{worker="w\\"2",le="+Inf"} 0
h_sum{worker="w\\"2"} 0
h_count{worker="w\\"2"} 0
`,
  );
});

Deno.test("merge drops the samples of a family that a later part declares with another type", () => {
  const merged = mergeExpositions([
    { text: "# TYPE m gauge\nm 1\n", worker: "1" },
    { text: "# TYPE m counter\nm 2\n# TYPE n gauge\nn 3\n", worker: "2" },
  ]);
  assert.equal(
    merged,
    '# TYPE m gauge\nm{worker="1"} 1\n# TYPE n gauge\nn{worker="2"} 3\n',
  );
});

Deno.test("merge keeps samples that have no TYPE line under their own name", () => {
  assert.equal(
    mergeExpositions([{ text: "# a comment\nloose 1\n", worker: "1" }], "w"),
    'loose{w="1"} 1\n',
  );
});
