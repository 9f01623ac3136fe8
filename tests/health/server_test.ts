import assert from "node:assert/strict";
import { Readiness } from "../../src/health/readiness.ts";
import { startHealthServer } from "../../src/health/server.ts";
import { AioMetrics } from "../../src/metrics/aio_metrics.ts";
import { AioError } from "../../src/errors.ts";
import { parseExposition, sampleValue } from "../metrics/_prometheus_parser.ts";

async function get(
  port: number,
  path: string,
  method = "GET",
): Promise<{ status: number; body: string; headers: Headers }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  return {
    status: response.status,
    body: await response.text(),
    headers: response.headers,
  };
}

Deno.test("/healthz answers 200; /readyz follows the readiness state through start, drain and reload", async () => {
  const readiness = new Readiness();
  const server = startHealthServer({
    port: 0,
    readiness,
    metrics: new AioMetrics().registry,
  });
  try {
    const port = server.addr.port;
    assert.deepEqual(
      [
        (await get(port, "/healthz")).status,
        (await get(port, "/healthz")).body,
      ],
      [200, "ok\n"],
    );
    assert.deepEqual(
      await get(port, "/readyz").then(({ status, body }) => [status, body]),
      [503, "not ready: starting\n"],
    );
    readiness.ready();
    assert.equal((await get(port, "/readyz")).status, 200);
    readiness.draining(); // a reload's drain begins
    assert.deepEqual(
      await get(port, "/readyz").then(({ status, body }) => [status, body]),
      [503, "not ready: draining\n"],
    );
    assert.equal(
      (await get(port, "/healthz")).status,
      200,
      "alive while draining",
    );
    readiness.ready(); // the reload is done
    assert.equal((await get(port, "/readyz")).status, 200);
  } finally {
    await server.close();
  }
});

Deno.test("/metrics serves the registry as text format 0.0.4, counters moving between scrapes", async () => {
  const metrics = new AioMetrics();
  const server = startHealthServer({
    port: 0,
    readiness: new Readiness(),
    metrics: metrics.registry,
  });
  try {
    const web = metrics.server("web");
    web.request(200);
    const first = await get(server.addr.port, "/metrics");
    assert.equal(first.status, 200);
    assert.equal(
      first.headers.get("content-type"),
      "text/plain; version=0.0.4; charset=utf-8",
    );
    const labels = { server: "web", status: "200" };
    assert.equal(
      sampleValue(
        await parseExposition(first.body),
        "aio_http_requests_total",
        labels,
      ),
      1,
    );
    web.request(200);
    web.request(200);
    const second = await get(server.addr.port, "/metrics");
    assert.equal(
      sampleValue(
        await parseExposition(second.body),
        "aio_http_requests_total",
        labels,
      ),
      3,
    );
  } finally {
    await server.close();
  }
});

Deno.test("HEAD gets the status and headers without a body; other paths 404, other methods 405", async () => {
  const readiness = new Readiness();
  const server = startHealthServer({
    port: 0,
    readiness,
    metrics: () => "# TYPE up gauge\nup 1\n",
  });
  try {
    const port = server.addr.port;
    const head = await get(port, "/metrics", "HEAD");
    assert.deepEqual([head.status, head.body], [200, ""]);
    assert.match(head.headers.get("content-type") ?? "", /version=0\.0\.4/);
    const readyHead = await get(port, "/readyz", "HEAD");
    assert.deepEqual([readyHead.status, readyHead.body], [503, ""]);
    assert.equal((await get(port, "/metrics")).body, "# TYPE up gauge\nup 1\n");
    assert.equal((await get(port, "/nope")).status, 404);
    assert.equal((await get(port, "/healthz/")).status, 404);
    assert.equal((await get(port, "/metrics?name[]=x")).status, 200);
    const post = await get(port, "/healthz", "POST");
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET, HEAD");
  } finally {
    await server.close();
  }
});

Deno.test("a port in use is an AioError naming [aio/health] and the address", () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    assert.throws(
      () =>
        startHealthServer({
          port: taken.addr.port,
          readiness: new Readiness(),
          metrics: () => "",
        }),
      (error: unknown) =>
        error instanceof AioError &&
        error.message.startsWith(
          `Cannot start the health server [aio/health] on 127.0.0.1:${taken.addr.port}: `,
        ) && !error.message.includes("\n"),
    );
  } finally {
    taken.close();
  }
});

Deno.test("a failing metrics source answers 500 and the server goes on", async () => {
  const server = startHealthServer({
    port: 0,
    readiness: new Readiness(),
    metrics: () => {
      throw new Error("worker gone");
    },
  });
  try {
    assert.equal((await get(server.addr.port, "/metrics")).status, 500);
    assert.equal((await get(server.addr.port, "/healthz")).status, 200);
  } finally {
    await server.close();
  }
});

Deno.test("close stops accepting and is safe to call twice", async () => {
  const server = startHealthServer({
    port: 0,
    readiness: new Readiness(),
    metrics: () => "",
  });
  const port = server.addr.port;
  assert.equal((await get(port, "/healthz")).status, 200);
  await Promise.all([server.close(), server.close()]);
  await assert.rejects(() => fetch(`http://127.0.0.1:${port}/healthz`));
});
