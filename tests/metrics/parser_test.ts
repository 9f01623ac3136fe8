// The exposition read back by a real Prometheus parser (prometheus_client).
import assert from "node:assert/strict";
import { Registry } from "../../src/metrics/registry.ts";
import { AioMetrics } from "../../src/metrics/aio_metrics.ts";
import { mergeExpositions } from "../../src/metrics/merge.ts";
import { parseExposition, sampleValue } from "./_prometheus_parser.ts";

Deno.test("prometheus_client reads back every value, label and help text", async () => {
  const registry = new Registry();
  const odd = registry.counter({
    name: "odd_total",
    help: 'Help with \\ and "quotes" and a\nnewline',
    labelNames: ["value"],
  });
  const awkward = [
    "back\\slash",
    'say "hi"',
    "two\nlines",
    "ünïcödé",
    "",
    "a,b=c}",
  ];
  awkward.forEach((value, i) => odd.labels(value).inc(i + 1));
  const gauge = registry.gauge({
    name: "numbers",
    help: "Numbers",
    labelNames: ["kind"],
  });
  const numbers: Record<string, number> = {
    big: 1e21,
    small: 1.5e-7,
    negative: -2.25,
    inf: Infinity,
    ninf: -Infinity,
    fraction: 0.1 + 0.2,
  };
  for (const [kind, value] of Object.entries(numbers)) {
    gauge.labels(kind).set(value);
  }
  gauge.labels("nan").set(NaN);

  const families = await parseExposition(registry.expose());
  const counter = families.find((family) => family.name === "odd");
  assert.ok(counter, "the counter family (prometheus_client drops _total)");
  assert.equal(counter.type, "counter");
  assert.equal(counter.help, 'Help with \\ and "quotes" and a\nnewline');
  awkward.forEach((value, i) =>
    assert.equal(sampleValue(families, "odd_total", { value }), i + 1, value)
  );
  for (const [kind, value] of Object.entries(numbers)) {
    assert.equal(sampleValue(families, "numbers", { kind }), value, kind);
  }
  assert.ok(Number.isNaN(sampleValue(families, "numbers", { kind: "nan" })));
});

Deno.test("a histogram reads back with cumulative buckets, +Inf, sum and count", async () => {
  const registry = new Registry();
  const delay = registry.histogram({
    name: "delay_seconds",
    help: "Delay",
    labelNames: ["schedule"],
    buckets: [0.01, 0.1, 1],
  });
  const tick = delay.labels("tick");
  for (const value of [0.005, 0.01, 0.05, 0.5, 0.5, 30]) tick.observe(value);
  const families = await parseExposition(registry.expose());
  assert.deepEqual(
    families.map(({ name, type }) => ({ name, type })),
    [{ name: "delay_seconds", type: "histogram" }],
  );
  const bucket = (le: string) =>
    sampleValue(families, "delay_seconds_bucket", { schedule: "tick", le });
  assert.equal(bucket("0.01"), 2);
  assert.equal(bucket("0.1"), 3);
  assert.equal(bucket("1"), 5);
  assert.equal(bucket("+Inf"), 6);
  assert.equal(
    sampleValue(families, "delay_seconds_count", { schedule: "tick" }),
    6,
  );
  assert.equal(
    sampleValue(families, "delay_seconds_sum", { schedule: "tick" }),
    0.005 + 0.01 + 0.05 + 0.5 + 0.5 + 30,
  );
});

Deno.test("aio's metric set, with the process metrics, parses with the counters where they were moved", async () => {
  const metrics = new AioMetrics();
  const process = metrics.startProcessMetrics();
  try {
    const tick = metrics.schedule("tick");
    tick.run("ok");
    tick.run("timeout");
    tick.late(0.003);
    // As the scheduler's onRun observer reports runs:
    metrics.scheduleRun({ name: "tick", outcome: "ok", latenessMs: 40 });
    metrics.scheduleRun({ name: "tick", outcome: "skipped", latenessMs: 900 });
    const web = metrics.server("web");
    web.request(200);
    web.request(200);
    web.request(503);
    const tcp = metrics.server("adder");
    tcp.opened();
    tcp.opened();
    tcp.closed();
    metrics.signal("aio-started").emits.inc();
    metrics.signal("boom").listenerErrors.inc();
    metrics.reload("failed");
    metrics.workerRestarted();
    const families = await parseExposition(metrics.registry.expose());
    const value = (name: string, labels: Record<string, string> = {}) =>
      sampleValue(families, name, labels);
    assert.equal(
      value("aio_schedule_runs_total", { schedule: "tick", outcome: "ok" }),
      2,
    );
    assert.equal(
      value("aio_schedule_runs_total", {
        schedule: "tick",
        outcome: "timeout",
      }),
      1,
    );
    assert.equal(
      value("aio_schedule_runs_total", {
        schedule: "tick",
        outcome: "skipped",
      }),
      1,
    );
    assert.equal(
      value("aio_schedule_lateness_seconds_bucket", {
        schedule: "tick",
        le: "0.005",
      }),
      1,
    );
    // The skipped run did not start: two latenesses (3 ms and 40 ms), both under 50 ms.
    assert.equal(
      value("aio_schedule_lateness_seconds_count", { schedule: "tick" }),
      2,
    );
    assert.equal(
      value("aio_schedule_lateness_seconds_bucket", {
        schedule: "tick",
        le: "0.05",
      }),
      2,
    );
    assert.equal(
      value("aio_http_requests_total", { server: "web", status: "200" }),
      2,
    );
    assert.equal(
      value("aio_http_requests_total", { server: "web", status: "503" }),
      1,
    );
    assert.equal(value("aio_server_accepted_total", { server: "adder" }), 2);
    assert.equal(value("aio_server_connections", { server: "adder" }), 1);
    assert.equal(value("aio_signal_emits_total", { signal: "aio-started" }), 1);
    assert.equal(value("aio_listener_errors_total", { signal: "boom" }), 1);
    assert.equal(value("aio_reloads_total", { outcome: "failed" }), 1);
    assert.equal(value("aio_reloads_total", { outcome: "ok" }), 0);
    assert.equal(value("aio_worker_restarts_total"), 1);
    const rss = value("process_resident_memory_bytes");
    assert.ok(rss !== undefined && rss > 1e6, `rss ${rss}`);
    const start = value("process_start_time_seconds");
    assert.ok(start !== undefined && Math.abs(start - Date.now() / 1000) < 600);
    assert.ok((value("aio_event_loop_lag_seconds") ?? -1) >= 0);
    const types = Object.fromEntries(families.map((f) => [f.name, f.type]));
    assert.equal(types["aio_schedule_lateness_seconds"], "histogram");
    assert.equal(types["aio_server_connections"], "gauge");
    assert.equal(types["aio_http_requests"], "counter");
  } finally {
    process.stop();
  }
});

Deno.test("merged worker expositions parse as one page, each sample labelled with its worker", async () => {
  const workers = ["1", "2"].map((worker) => {
    const metrics = new AioMetrics();
    metrics.server("web").request(200);
    if (worker === "2") metrics.server("web").request(200);
    metrics.schedule("tick").late(0.2);
    return { worker, text: metrics.registry.expose() };
  });
  const supervisor = new Registry();
  supervisor.counter({ name: "aio_worker_restarts_total", help: "Restarts" })
    .inc(3);
  const merged = mergeExpositions([...workers, { text: supervisor.expose() }]);
  const families = await parseExposition(merged);
  // One family each: the parser would split a family whose lines are not together.
  const names = families.map((family) => family.name);
  assert.deepEqual(names, [...new Set(names)]);
  assert.equal(
    sampleValue(families, "aio_http_requests_total", {
      server: "web",
      status: "200",
      worker: "1",
    }),
    1,
  );
  assert.equal(
    sampleValue(families, "aio_http_requests_total", {
      server: "web",
      status: "200",
      worker: "2",
    }),
    2,
  );
  assert.equal(
    sampleValue(families, "aio_schedule_lateness_seconds_bucket", {
      schedule: "tick",
      le: "+Inf",
      worker: "2",
    }),
    1,
  );
  // The workers' own zero restart counters and the supervisor's count stand side by side.
  assert.equal(
    sampleValue(families, "aio_worker_restarts_total", { worker: "1" }),
    0,
  );
  assert.equal(sampleValue(families, "aio_worker_restarts_total"), 3);
});
