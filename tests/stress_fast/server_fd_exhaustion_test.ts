// Running out of file descriptors (issue 12, item 10): `aio run` under
// `ulimit -n 64` with a TCP and an HTTP server, flooded with idle
// connections until accept() fails with EMFILE. aio must not crash (Deno
// 2.9 panicked in the path that logged the failed accept, and Deno.serve
// died on an uncaught "Too many open files"), must log it, and must serve
// again on the same ports once the connections are gone.
import { equal, match, ok } from "node:assert/strict";
import { CLI } from "../e2e/_cli.ts";
import { readBytes, writeAll } from "../server/_helpers.ts";

const ECHO = new URL("../fixtures/stress/echo.ts", import.meta.url).pathname;
const PORTS = new URL("../fixtures/app/ports.ts", import.meta.url).pathname;
const FD_LIMIT = 64;
const FLOOD = 80;

/** `aio run` under a low open file limit, its output collected. */
function spawnLimited(dir: string) {
  const child = new Deno.Command("sh", {
    args: [
      "-c",
      `ulimit -n ${FD_LIMIT} && exec "$0" "$@"`,
      Deno.execPath(),
      "run",
      "-A",
      CLI,
      "run",
    ],
    cwd: dir,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  const reading = Promise.all([child.stdout, child.stderr].map(async (s) => {
    for await (const text of s.pipeThrough(new TextDecoderStream())) {
      output += text;
    }
  }));
  return {
    child,
    output: () => output,
    async waitFor(pattern: RegExp, ms = 20_000): Promise<RegExpExecArray> {
      const end = performance.now() + ms;
      while (performance.now() < end) {
        const match = pattern.exec(output);
        if (match) return match;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`no ${pattern} within ${ms} ms:\n${output}`);
    },
    reading,
  };
}

async function flood(port: number): Promise<Deno.Conn[]> {
  const conns: Deno.Conn[] = [];
  for (let i = 0; i < FLOOD; i++) {
    try {
      conns.push(await Deno.connect({ hostname: "127.0.0.1", port }));
    } catch {
      // Deno.serve's listener is down while it restarts: refused.
    }
  }
  return conns;
}

async function echoes(port: number): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await writeAll(conn, "ping");
    return new TextDecoder().decode(await readBytes(conn, 4));
  } finally {
    conn.close();
  }
}

/** The first answer from `url`, retrying refused connections for up to `ms`. */
async function answers(url: string, ms = 10_000): Promise<string> {
  const end = performance.now() + ms;
  while (true) {
    try {
      const response = await fetch(url);
      return await response.text();
    } catch (error) {
      if (performance.now() > end) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

Deno.test("fd exhaustion: accept failures are logged, aio survives and serves again on the same ports", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aio_fd_" });
  await Deno.writeTextFile(
    `${dir}/aio.conf`,
    `[aio]\nshutdown_timeout = 1\n
[listen/ports]\naio-started = ${PORTS}#printPorts\n
[server/echo]\nprotocol = ${ECHO}#Echo\naddress = 127.0.0.1\nport = 0\n
[server/hello]\nhandler = ${ECHO}#echoHttp\naddress = 127.0.0.1\nport = 0\n`,
  );
  const aio = spawnLimited(dir);
  const held: Deno.Conn[] = [];
  try {
    const ports = JSON.parse(
      (await aio.waitFor(/PORTS (\{.*\})/))[1],
    ) as { echo: number; hello: number };
    held.push(...await flood(ports.echo));
    held.push(...await flood(ports.hello));
    await aio.waitFor(/Server echo .*accept failed: Too many open files/);
    await aio.waitFor(/Server hello .*accept failed: .*Too many open files/);
    for (const conn of held.splice(0)) conn.close();
    equal(await echoes(ports.echo), "ping");
    match(await answers(`http://127.0.0.1:${ports.hello}/`), /^ok 0/);
    await aio.waitFor(/Server echo .*accepting again after \d+ failed accepts/);
    await aio.waitFor(
      /Server hello .*accepting again after \d+ failed accepts/,
    );
    ok(!/panicked|Uncaught/.test(aio.output()), aio.output());
    // Logged once, not once per retry.
    const failures = aio.output().match(/accept failed/g) ?? [];
    equal(failures.length, 2, aio.output());
  } finally {
    for (const conn of held) conn.close();
    aio.child.kill("SIGTERM");
    const status = await aio.child.status;
    await aio.reading;
    await Deno.remove(dir, { recursive: true });
    equal(status.code, 0, aio.output());
  }
});
