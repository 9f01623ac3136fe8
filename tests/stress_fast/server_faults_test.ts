// Faults inside the app, part two (tests/faults_test.ts has listeners and
// schedules): protocol callbacks and HTTP handlers that throw, reject, hang
// or throw values that are not Errors. Each is logged with its server and
// callback, only its own connection or request fails, and the app goes on.
import { equal, match, ok } from "node:assert/strict";
import { app, runner } from "../../mod.ts";
import { flushLogging } from "../../src/logging.ts";
import { logFile } from "../_logs.ts";

const FAULTY = new URL("../fixtures/stress/faulty_servers.ts", import.meta.url)
  .pathname;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What a failing protocol does, and what the log must say about it. */
const PROTOCOLS: [string, RegExp][] = [
  ["ThrowsInConstructor", /constructor failed: Error: constructor exploded/],
  [
    "ThrowsInConnectionMade",
    /connectionMade failed: Error: connectionMade exploded/,
  ],
  ["ThrowsInDataReceived", /dataReceived failed: Error: dataReceived exploded/],
  [
    "ThrowsStringInDataReceived",
    /dataReceived failed: a plain string from dataReceived/,
  ],
  ["ThrowsUndefinedInDataReceived", /dataReceived failed: undefined/],
  [
    "ThrowsObjectInDataReceived",
    /dataReceived failed: .*an object from dataReceived/,
  ],
  [
    "RejectsInDataReceived",
    /dataReceived failed: TypeError: dataReceived rejected/,
  ],
  ["ThrowsInEofReceived", /eofReceived failed: Error: eofReceived exploded/],
  [
    "ThrowsInConnectionLost",
    /connectionLost failed: Error: connectionLost exploded/,
  ],
];

const HANDLERS: [string, RegExp][] = [
  ["throwsError", /handler failed: Error: handler exploded/],
  ["throwsString", /handler failed: a plain string from a handler/],
  ["throwsNull", /handler failed: null/],
  ["rejects", /handler failed: RangeError: handler rejected/],
  ["notAResponse", /handler failed: TypeError: .*must be a response/],
];

function server(name: string, option: string, ref: string): string {
  return `[server/${name}]\n${option} = ${FAULTY}#${ref}\naddress = 127.0.0.1\nport = 0\n`;
}

function portOf(name: string): number {
  return (app.servers[name].addr as Deno.NetAddr).port;
}

/** Sends a line, half-closes, and reads whatever comes back until the server closes. */
async function exchange(port: number): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(encoder.encode("hi\n")).catch(() => 0);
    await conn.closeWrite().catch(() => {});
    let text = "";
    const buffer = new Uint8Array(256);
    while (true) {
      const count = await conn.read(buffer).catch(() => null);
      if (count === null) return text;
      text += decoder.decode(buffer.subarray(0, count));
    }
  } finally {
    conn.close();
  }
}

Deno.test("failing protocol callbacks and handlers are logged with server and callback; the app goes on", async () => {
  const log = await logFile();
  let config = "[aio]\nshutdown_timeout = 1\n" + log.config +
    server("echo", "protocol", "Echo") + server("fine", "handler", "fine");
  for (const [name] of PROTOCOLS) {
    config += server(`p-${name}`, "protocol", name);
  }
  for (const [name] of HANDLERS) config += server(`h-${name}`, "handler", name);
  try {
    await runner(["run"], { configString: config });
    // Twice each: a failure ends its own connection, never the server.
    for (let round = 0; round < 2; round++) {
      for (const [name] of PROTOCOLS) {
        const answer = await exchange(portOf(`p-${name}`));
        const echoes = name === "ThrowsInEofReceived" ||
          name === "ThrowsInConnectionLost";
        equal(
          answer,
          echoes ? "hi\n" : "",
          `${name} answered ${JSON.stringify(answer)}`,
        );
      }
      for (const [name] of HANDLERS) {
        const response = await fetch(
          `http://127.0.0.1:${portOf(`h-${name}`)}/`,
        );
        await response.body?.cancel();
        equal(response.status, 500, name);
      }
    }
    equal(await exchange(portOf("echo")), "hi\n", "the other servers go on");
    const fine = await fetch(`http://127.0.0.1:${portOf("fine")}/`);
    equal(await fine.text(), "fine");
    ok(app.running);
    await flushLogging();
    const text = await log.read();
    for (const [name, pattern] of [...PROTOCOLS, ...HANDLERS]) {
      const server = PROTOCOLS.some(([p]) => p === name)
        ? `p-${name}`
        : `h-${name}`;
      // Named with the reference that failed and where the config names it.
      const lines = text.split("\n").filter((line) =>
        line.includes(`Server ${server} (`)
      );
      ok(lines.length >= 2, `${server} logged ${lines.length} failures, not 2`);
      match(lines[0], pattern);
      match(lines[0], /#\w+, [^)]*:\d+\): /);
    }
  } finally {
    await app.clear();
    await Deno.remove(log.path);
  }
});

Deno.test("a protocol that hangs holds its connection only until shutdown_timeout", async () => {
  await runner(["run"], {
    configString: "[aio]\nlog_level = CRITICAL\nshutdown_timeout = 0.3\n" +
      server("hangs", "protocol", "HangsInDataReceived") +
      server("echo", "protocol", "Echo"),
  });
  const conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: portOf("hangs"),
  });
  try {
    await conn.write(encoder.encode("anyone there?\n"));
    equal(
      await exchange(portOf("echo")),
      "hi\n",
      "a hung callback blocks no one else",
    );
    const reading = conn.read(new Uint8Array(16)).catch(() => null);
    const started = performance.now();
    await app.clear();
    const elapsed = performance.now() - started;
    equal(await reading, null, "the hung connection was closed");
    ok(
      elapsed >= 250,
      `stop took ${elapsed.toFixed(0)} ms: the timeout was not waited for`,
    );
    ok(elapsed < 2000, `stop took ${elapsed.toFixed(0)} ms`);
  } finally {
    conn.close();
    await app.clear();
  }
});

Deno.test("a handler that hangs cannot hold the stop beyond shutdown_timeout", async () => {
  await runner(["run"], {
    configString: "[aio]\nlog_level = CRITICAL\nshutdown_timeout = 0.3\n" +
      server("hangs", "handler", "hangs") + server("fine", "handler", "fine"),
  });
  const abort = new AbortController();
  const hung = fetch(`http://127.0.0.1:${portOf("hangs")}/`, {
    signal: abort.signal,
  })
    .catch(() => undefined);
  try {
    const fine = await fetch(`http://127.0.0.1:${portOf("fine")}/`);
    equal(await fine.text(), "fine", "a hung handler blocks no one else");
    const started = performance.now();
    await app.clear();
    const elapsed = performance.now() - started;
    ok(
      elapsed >= 250,
      `stop took ${elapsed.toFixed(0)} ms: the timeout was not waited for`,
    );
    ok(elapsed < 2000, `stop took ${elapsed.toFixed(0)} ms`);
  } finally {
    abort.abort();
    await hung;
    await app.clear();
  }
});
