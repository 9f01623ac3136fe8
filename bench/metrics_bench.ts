/**
 * What counting costs on a hot path: aio's metric handles against a plain
 * property increment, 1,000 operations per iteration (divide the times by
 * 1,000). Run with `deno bench -A bench/metrics_bench.ts`.
 */

import { AioMetrics } from "../src/metrics/aio_metrics.ts";
import { AppHealth } from "../src/health/app_health.ts";
import { Signals } from "../src/signals.ts";

const metrics = new AioMetrics();
const server = metrics.server("web");
const schedule = metrics.schedule("tick");
const counter = metrics.registry.counter({
  name: "bench_total",
  help: "Bench",
  labelNames: ["a"],
}).labels("x");
const plain = { value: 0 };
const OPS = 1000;

Deno.bench("plain object property += 1 (baseline)", { group: "count" }, () => {
  for (let i = 0; i < OPS; i++) plain.value += 1;
});

Deno.bench("CounterChild.inc()", { group: "count" }, () => {
  for (let i = 0; i < OPS; i++) counter.inc();
});

Deno.bench("ServerMetrics.opened() + closed()", { group: "count" }, () => {
  for (let i = 0; i < OPS; i++) {
    server.opened();
    server.closed();
  }
});

Deno.bench("ServerMetrics.request(200)", { group: "count" }, () => {
  for (let i = 0; i < OPS; i++) server.request(200);
});

// What a server pays per response and per connection with [aio/health]
// on: the observer's lookup of the server's handle, then the count.
const signals = new Signals();
const health = AppHealth.start({ address: "127.0.0.1", port: 0 }, signals);
const observer = health.serverObserver;

Deno.bench("observer.httpResponse('web', 200)", { group: "count" }, () => {
  for (let i = 0; i < OPS; i++) observer.httpResponse!("web", 200);
});

Deno.bench("observer.connectionOpened + Closed", { group: "count" }, () => {
  for (let i = 0; i < OPS; i++) {
    observer.connectionOpened!("echo");
    observer.connectionClosed!("echo");
  }
});

Deno.bench("ScheduleMetrics.late(0.003) (histogram observe)", {
  group: "count",
}, () => {
  for (let i = 0; i < OPS; i++) schedule.late(0.003);
});

Deno.bench("registry.expose() of aio's metric set (one scrape)", () => {
  metrics.registry.expose();
});

Deno.bench("registry.expose() after the health server's counts", async () => {
  health.metrics.registry.expose();
  // The last bench: let the process end.
  await health.close(signals);
});
