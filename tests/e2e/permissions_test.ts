// What `aio permissions` prints for configs the examples do not cover:
// UDP on other addresses, IPv6, and -d's paths from [aio] pidfile and
// [aio] daemon_log.
import { equal, ok } from "node:assert/strict";
import { runCli, tempApp } from "./_cli.ts";

const echo = new URL("../../examples/udp_echo/echo.ts", import.meta.url)
  .pathname;
const addition = new URL("../../examples/addition/addition.ts", import.meta.url)
  .pathname;

async function flagsFor(
  config: string,
  options: string[] = [],
): Promise<{ dir: string; flags: string[] }> {
  const dir = await tempApp(config);
  const result = await runCli(["permissions", ...options], { cwd: dir });
  equal(result.code, 0, result.stderr);
  return {
    dir: await Deno.realPath(dir),
    flags: result.stdout.trim().split(" "),
  };
}

const udp = (address: string) =>
  `[server/u]\nprotocol = ${echo}#UdpEcho\ntransport = udp\naddress = ${address}\nport = 9000\n`;

Deno.test("a UDP server on loopback may answer any port of the loopback host", async () => {
  const { flags } = await flagsFor(
    udp("127.0.0.1") +
      `\n[server/t]\nprotocol = ${addition}#AdditionProtocol\naddress = 127.0.0.1\nport = 9001\n`,
  );
  // The whole host covers the TCP server's host:port entry.
  equal(flags[0], "--allow-net=127.0.0.1");
  equal((await flagsFor(udp("::1"))).flags[0], "--allow-net=[::1]");
  equal(
    (await flagsFor(udp("localhost"))).flags[0],
    "--allow-net=127.0.0.1,localhost",
  );
});

Deno.test("a UDP server on any other address answers peers anywhere: --allow-net whole", async () => {
  for (const address of ["0.0.0.0", "192.0.2.1", "::"]) {
    equal((await flagsFor(udp(address))).flags[0], "--allow-net", address);
  }
});

Deno.test("TCP servers get host:port, IPv6 hosts in brackets", async () => {
  const { flags } = await flagsFor(
    `[server/t]\nprotocol = ${addition}#AdditionProtocol\naddress = ::1\nport = 9002\n`,
  );
  equal(flags[0], "--allow-net=[::1]:9002");
});

Deno.test("-d adds sh, and the directories of [aio] pidfile and daemon_log", async () => {
  const plain = await flagsFor("");
  ok(!plain.flags.some((flag) => /^--allow-(run|write)/.test(flag)));
  const defaults = await flagsFor("", ["-d"]);
  ok(defaults.flags.includes("--allow-run=kill,sh"));
  ok(
    defaults.flags.includes(
      `--allow-write=${defaults.dir}/var/log,${defaults.dir}/var/run`,
    ),
    defaults.flags.join(" "),
  );
  const moved = await flagsFor(
    "[aio]\npidfile = /tmp/aio-perm-test/aio.pid\ndaemon_log = logs/out.log\n",
    ["-d"],
  );
  const write = moved.flags.find((flag) => flag.startsWith("--allow-write="));
  equal(
    write?.slice("--allow-write=".length).split(",").sort().join(","),
    [`${moved.dir}/logs`, "/tmp/aio-perm-test"].sort().join(","),
  );
});
