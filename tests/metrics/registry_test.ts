import assert from "node:assert/strict";
import { Registry } from "../../src/metrics/registry.ts";
import { Counter } from "../../src/metrics/counter.ts";
import { Histogram } from "../../src/metrics/histogram.ts";
import { formatValue } from "../../src/metrics/_format.ts";

Deno.test("the exposition is the 0.0.4 text format, family by family", () => {
  const registry = new Registry();
  const requests = registry.counter({
    name: "app_requests_total",
    help: "Requests served",
    labelNames: ["server", "status"],
  });
  requests.labels("web", "200").inc();
  requests.labels("web", "200").inc(2);
  requests.labels("web", "404").inc();
  registry.gauge({ name: "app_open", help: "Open now" }).set(-1.5);
  const delay = registry.histogram({
    name: "app_delay_seconds",
    help: "Delay",
    labelNames: ["schedule"],
    buckets: [0.1, 1],
  });
  const tick = delay.labels("tick");
  tick.observe(0.1); // le is inclusive: this one is in the 0.1 bucket
  tick.observe(0.5);
  tick.observe(7);
  assert.equal(
    registry.expose(),
    `# HELP app_requests_total Requests served
# TYPE app_requests_total counter
app_requests_total{server="web",status="200"} 3
app_requests_total{server="web",status="404"} 1
# HELP app_open Open now
# TYPE app_open gauge
app_open -1.5
# HELP app_delay_seconds Delay
# TYPE app_delay_seconds histogram
app_delay_seconds_bucket{schedule="tick",le="0.1"} 1
app_delay_seconds_bucket{schedule="tick",le="1"} 2
app_delay_seconds_bucket{schedule="tick",le="+Inf"} 3
app_delay_seconds_sum{schedule="tick"} 7.6
app_delay_seconds_count{schedule="tick"} 3
`,
  );
});

Deno.test("a metric without labels shows 0 before anything counted; one with labels shows no sample", () => {
  const registry = new Registry();
  registry.counter({ name: "a_total", help: "A" });
  registry.counter({ name: "b_total", help: "B", labelNames: ["x"] });
  registry.histogram({ name: "c", help: "C", buckets: [1] });
  assert.equal(
    registry.expose(),
    `# HELP a_total A
# TYPE a_total counter
a_total 0
# HELP b_total B
# TYPE b_total counter
# HELP c C
# TYPE c histogram
c_bucket{le="1"} 0
c_bucket{le="+Inf"} 0
c_sum 0
c_count 0
`,
  );
});

Deno.test("label values and help text are escaped as the format says", () => {
  const registry = new Registry();
  const counter = registry.counter({
    name: "odd_total",
    help: 'Back\\slash, "quotes" and a\nnewline',
    labelNames: ["v"],
  });
  counter.labels('a\\b"c\nd').inc();
  assert.equal(
    registry.expose(),
    `# HELP odd_total Back\\\\slash, "quotes" and a\\nnewline
# TYPE odd_total counter
odd_total{v="a\\\\b\\"c\\nd"} 1
`,
  );
});

Deno.test("values are written as Go's ParseFloat reads them", () => {
  assert.equal(formatValue(Infinity), "+Inf");
  assert.equal(formatValue(-Infinity), "-Inf");
  assert.equal(formatValue(NaN), "NaN");
  assert.equal(formatValue(0), "0");
  assert.equal(formatValue(-0), "0");
  assert.equal(formatValue(1e21), "1e+21");
  assert.equal(formatValue(1.5e-7), "1.5e-7");
  assert.equal(formatValue(0.1 + 0.2), "0.30000000000000004");
});

Deno.test("a resolved child is the same object each time and counts in place", () => {
  const counter = new Counter({
    name: "x_total",
    help: "X",
    labelNames: ["a"],
  });
  const child = counter.labels("1");
  assert.equal(counter.labels("1"), child);
  child.inc();
  child.value++;
  assert.match(counter.expose(), /^x_total\{a="1"\} 2$/m);
  counter.remove("1");
  assert.doesNotMatch(counter.expose(), /x_total\{/);
});

Deno.test("bad names, label counts, negative increments and buckets are refused", () => {
  const registry = new Registry();
  assert.throws(
    () => registry.counter({ name: "1bad", help: "" }),
    /Invalid metric name: "1bad"/,
  );
  assert.throws(
    () => registry.counter({ name: "ok", help: "", labelNames: ["__x"] }),
    /Invalid label name for ok: "__x"/,
  );
  assert.throws(
    () => registry.counter({ name: "ok", help: "", labelNames: ["a", "a"] }),
    /reserved or repeated/,
  );
  assert.throws(
    () => new Histogram({ name: "h", help: "", labelNames: ["le"] }),
    /reserved or repeated/,
  );
  assert.throws(
    () => new Histogram({ name: "h", help: "", buckets: [1, 1] }),
    /finite and ascending/,
  );
  assert.throws(
    () => new Histogram({ name: "h", help: "", buckets: [1, Infinity] }),
    /finite and ascending/,
  );
  const counter = registry.counter({
    name: "c_total",
    help: "",
    labelNames: ["a", "b"],
  });
  assert.throws(
    () => counter.labels("x"),
    /takes 2 label value\(s\) \(a, b\), not 1/,
  );
  assert.throws(() => counter.inc(), /has labels \(a, b\): use labels/);
  assert.throws(() => counter.labels("x", "y").inc(-1), /cannot decrease/);
  assert.throws(
    () => registry.counter({ name: "c_total", help: "" }),
    /A metric named c_total is registered already/,
  );
});

Deno.test("a collect function brings a value up to date at each exposition", () => {
  const registry = new Registry();
  let reads = 0;
  registry.gauge({
    name: "reads",
    help: "How often it was read",
    collect: (gauge) => gauge.set(++reads),
  });
  assert.match(registry.expose(), /^reads 1$/m);
  assert.match(registry.expose(), /^reads 2$/m);
});
