// Servers through the real CLI: the seed's addition server both ways, HTTP,
// a port in use, bad server config, and a port outside the granted flags.
import { equal, match } from "node:assert/strict";
import { CliProcess, runCli, tempApp } from "./_cli.ts";
import { readAll, writeAll } from "../server/_helpers.ts";

const root = new URL("../../", import.meta.url).pathname;
const fixtures = new URL("../fixtures/app/", import.meta.url).pathname;
const addition = `${root}examples/addition/addition.ts`;

async function ask(port: number, text: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await writeAll(conn, text);
    await conn.closeWrite();
    return await readAll(conn);
  } finally {
    conn.close();
  }
}

const appConfig = `[listen/ports]
aio-started = ${fixtures}ports.ts#printPorts

[server/addition]
protocol = ${addition}#AdditionProtocol
address = 127.0.0.1
port = 0

[server/addition-factory]
factory = ${addition}#additionServerFactory
address = 127.0.0.1
port = 0

[server/hello]
handler = ${root}examples/http_hello/hello.ts#hello
address = 127.0.0.1
port = 0
`;

Deno.test("aio run serves the addition server by protocol and by factory, and HTTP", async () => {
  const aio = new CliProcess(["run"], { cwd: await tempApp(appConfig) });
  try {
    await aio.waitFor(/PORTS \{.*\}\n/);
    const ports = JSON.parse(/PORTS (\{.*\})/.exec(aio.stdout)![1]);
    equal(await ask(ports.addition, "2 + 2 + 3\n"), "7\n");
    equal(await ask(ports["addition-factory"], "2 + 2 + 3\n"), "7\n");
    const response = await fetch(`http://127.0.0.1:${ports.hello}/?name=Ada`);
    equal(await response.text(), "Hello, Ada!\n");
  } finally {
    aio.kill("SIGTERM");
  }
  const result = await aio.done();
  equal(result.code, 0, result.stderr);
});

Deno.test("a port in use fails start-up with exit 1 naming section, address and port", async () => {
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (busy.addr as Deno.NetAddr).port;
    const dir = await tempApp(
      `[server/first]\nprotocol = ${addition}#AdditionProtocol\naddress = 127.0.0.1\nport = 0\n` +
        `[server/busy]\nprotocol = ${addition}#AdditionProtocol\naddress = 127.0.0.1\nport = ${port}\n`,
    );
    const result = await runCli(["run"], { cwd: dir });
    equal(result.code, 1);
    match(
      result.stderr,
      new RegExp(
        `^aio: error: Cannot start server \\[server/busy\\] on 127\\.0\\.0\\.1:${port}: `,
        "m",
      ),
    );
  } finally {
    busy.close();
  }
});

Deno.test("bad server config exits 78 naming file and line", async () => {
  const dir = await tempApp(
    `[server/x]\nprotocol = ${addition}#AdditionProtocol\nport = 70000\n`,
  );
  const result = await runCli(["run"], { cwd: dir });
  equal(result.code, 78);
  match(result.stderr, /^aio: config error: aio\.conf:3: /m);
});

Deno.test("a server port outside the flags aio permissions printed is refused by Deno", async () => {
  const granted = await tempApp(
    `[server/x]\nprotocol = ${addition}#AdditionProtocol\naddress = 127.0.0.1\nport = 47011\n`,
  );
  const printed = await runCli(["permissions"], { cwd: granted });
  equal(printed.code, 0, printed.stderr);
  match(printed.stdout, /--allow-net=127\.0\.0\.1:47011(\s|$)/);
  const flags = printed.stdout.trim().split(" ");
  // The same app asking for another port, under the first app's flags.
  await Deno.writeTextFile(
    `${granted}/aio.conf`,
    `[server/x]\nprotocol = ${addition}#AdditionProtocol\naddress = 127.0.0.1\nport = 47012\n`,
  );
  const result = await runCli(["run"], {
    cwd: granted,
    denoFlags: ["--no-prompt", ...flags],
  });
  equal(result.code, 1);
  match(
    result.stderr,
    /Cannot start server \[server\/x\] on 127\.0\.0\.1:47012: .*net access/i,
  );
});

const pidFixture = new URL("../fixtures/servers/pid.ts", import.meta.url)
  .pathname;

Deno.test("reuse_port on tcp or http without --unstable-net fails start-up with one line naming the flag", async () => {
  for (const ref of ["protocol = ", "handler = "]) {
    const option = ref.startsWith("protocol")
      ? `${ref}${pidFixture}#PidProtocol`
      : `${ref}${pidFixture}#pidHandler`;
    const dir = await tempApp(
      `[server/shared]\n${option}\naddress = 127.0.0.1\nport = 0\nreuse_port = yes\n`,
    );
    const result = await runCli(["run"], { cwd: dir });
    equal(result.code, 1, result.stderr);
    match(
      result.stderr,
      /^aio: error: Cannot start server \[server\/shared\] on 127\.0\.0\.1:0: reuse_port on tcp, tls and http needs deno run --unstable-net$/m,
    );
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("reuse_port with --unstable-net: two aio processes share one tcp and one http port", async () => {
  // Both held while the second is picked, so the two ports differ.
  const held = [0, 1].map(() =>
    Deno.listen({ hostname: "127.0.0.1", port: 0 })
  );
  const [tcpPort, httpPort] = held.map((listener) => listener.addr.port);
  for (const listener of held) listener.close();
  const dir = await tempApp(`[listen/ports]
aio-started = ${fixtures}ports.ts#printPorts

[server/tcp]
protocol = ${pidFixture}#PidProtocol
address = 127.0.0.1
port = ${tcpPort}
reuse_port = yes

[server/http]
handler = ${pidFixture}#pidHandler
address = 127.0.0.1
port = ${httpPort}
reuse_port = yes
`);
  const flags = { cwd: dir, denoFlags: ["-A", "--unstable-net"] };
  const aios = [new CliProcess(["run"], flags), new CliProcess(["run"], flags)];
  try {
    for (const aio of aios) await aio.waitFor(/PORTS \{.*\}\n/);
    const pids = new Set(aios.map((aio) => String(aio.child.pid)));
    const tcpSeen = new Set<string>();
    const httpSeen = new Set<string>();
    for (let i = 0; i < 60 && (tcpSeen.size < 2 || httpSeen.size < 2); i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: tcpPort });
      tcpSeen.add(await readAll(conn));
      conn.close();
      const client = Deno.createHttpClient({});
      const response = await fetch(`http://127.0.0.1:${httpPort}/`, { client });
      httpSeen.add(await response.text());
      client.close();
    }
    equal([...tcpSeen].sort().join(), [...pids].sort().join());
    equal([...httpSeen].sort().join(), [...pids].sort().join());
  } finally {
    for (const aio of aios) aio.kill("SIGTERM");
  }
  for (const aio of aios) equal((await aio.done()).code, 0);
  await Deno.remove(dir, { recursive: true });
});
