import assert from "node:assert/strict";
import { serveHttp } from "../../src/server/http.ts";
import { failingHandler, hello } from "../fixtures/servers/protocols.ts";
import { isRefused, portOf, TLS } from "./_helpers.ts";

const LOCAL = { hostname: "127.0.0.1", port: 0 };

Deno.test("http: a handler serves requests", async () => {
  const server = serveHttp(hello, LOCAL);
  try {
    const response = await fetch(`http://127.0.0.1:${portOf(server.addr)}/hi`);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), "hello /hi");
  } finally {
    await server.close();
  }
});

Deno.test("https: cert and key serve TLS", async () => {
  const server = serveHttp(hello, { ...LOCAL, cert: TLS.cert, key: TLS.key });
  const client = Deno.createHttpClient({ caCerts: [TLS.cert] });
  try {
    const response = await fetch(
      `https://localhost:${portOf(server.addr)}/secure`,
      { client },
    );
    assert.equal(await response.text(), "hello /secure");
  } finally {
    client.close();
    await server.close();
  }
});

Deno.test("http: a handler that throws answers 500 and the server goes on", async () => {
  let fail = true;
  const server = serveHttp(
    (request) => fail ? failingHandler() : hello(request),
    LOCAL,
  );
  const base = `http://127.0.0.1:${portOf(server.addr)}`;
  try {
    const failed = await fetch(`${base}/a`);
    assert.equal(failed.status, 500);
    await failed.body?.cancel();
    fail = false;
    const ok = await fetch(`${base}/b`);
    assert.equal(await ok.text(), "hello /b");
  } finally {
    await server.close();
  }
});

Deno.test("http: close() answers requests in flight and refuses new connections", async () => {
  let entered = 0;
  let allIn!: () => void;
  const inFlight = new Promise<void>((resolve) => allIn = resolve);
  const server = serveHttp(async (request) => {
    if (++entered === 5) allIn();
    await new Promise((resolve) => setTimeout(resolve, 300));
    return new Response(`done ${new URL(request.url).pathname}`);
  }, LOCAL);
  const port = portOf(server.addr);
  const client = Deno.createHttpClient({});
  try {
    const answers = Promise.all(
      [0, 1, 2, 3, 4].map(async (i) => {
        const response = await fetch(`http://127.0.0.1:${port}/${i}`, {
          client,
        });
        return await response.text();
      }),
    );
    await inFlight;
    const started = performance.now();
    const closing = server.close(5_000);
    // The listener is released before the first await of close() resolves.
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal(await isRefused(port), true, "new connections are refused");
    assert.deepEqual(await answers, [
      "done /0",
      "done /1",
      "done /2",
      "done /3",
      "done /4",
    ]);
    await closing;
    assert.ok(performance.now() - started < 5_000);
  } finally {
    client.close();
  }
});

Deno.test("http: closing frees the port", async () => {
  const server = serveHttp(hello, LOCAL);
  const port = portOf(server.addr);
  const response = await fetch(`http://127.0.0.1:${port}/`);
  await response.body?.cancel();
  await server.close();
  const again = serveHttp(hello, { ...LOCAL, port });
  try {
    assert.equal(portOf(again.addr), port);
    const second = await fetch(`http://127.0.0.1:${port}/x`);
    assert.equal(await second.text(), "hello /x");
  } finally {
    await again.close();
  }
});
