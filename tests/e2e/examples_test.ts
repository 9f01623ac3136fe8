// Every example in examples/ runs under exactly the flags `aio permissions`
// prints for it (no -A, no prompt), answers as its aio.conf says, and stops
// on SIGTERM with exit 0; `aio run -d` runs under `aio permissions -d`'s.
import { equal, match, ok } from "node:assert/strict";
import dgram from "node:dgram";
import { CliProcess, runCli } from "./_cli.ts";
import { processAlive } from "../../src/process_alive.ts";
import { eventually, withExamplePorts } from "./_example_ports.ts";
import { readAll, writeAll } from "../server/_helpers.ts";
import { startNats } from "../cluster/_nats.ts";

const root = new URL("../../", import.meta.url).pathname;

/** The flags `aio permissions` prints for `args`' config, checked to be narrow. */
async function printedFlags(
  config: string[],
  cwd: string,
  options: string[] = [],
  env?: Record<string, string>,
): Promise<string[]> {
  const printed = await runCli([...config, "permissions", ...options], {
    cwd,
    env,
  });
  equal(printed.code, 0, printed.stderr);
  equal(printed.stderr, "");
  const flags = printed.stdout.trim().split(" ");
  ok(flags.every((flag) => flag.startsWith("--allow-")), printed.stdout);
  ok(!flags.includes("--allow-all"), printed.stdout);
  return flags;
}

async function askTcp(port: number, text: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await writeAll(conn, text);
    await conn.closeWrite();
    return await readAll(conn);
  } finally {
    conn.close();
  }
}

/** Sends `text` to 127.0.0.1:`port` over UDP; resolves with the first reply, rejects after 5 s. */
function askUdp(port: number, text: string): Promise<string> {
  const socket = dgram.createSocket("udp4");
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error("no UDP reply within 5 s")),
      5000,
    );
    socket.on("message", (message) => {
      clearTimeout(timer);
      resolve(new TextDecoder().decode(message));
    });
    socket.on("error", reject);
    socket.send(text, port, "127.0.0.1");
  }).finally(() => socket.close());
}

/** What an example needs around its run: its environment, a NATS server on a port. */
const NEEDS: Record<
  string,
  { env?: Record<string, string>; natsPort?: number }
> = {
  cluster: { env: { NODE: "a", PORT: "8081" }, natsPort: 4222 },
};

/** What each example does once it has started, driven from outside. */
const EXERCISES: Record<
  string,
  (aio: CliProcess, flags: string[]) => Promise<void>
> = {
  addition: async () => {
    equal(await askTcp(8888, "2 + 2 + 3\n"), "7\n");
    equal(await askTcp(8889, "2 + 2 + 3\n"), "7\n");
  },
  http_hello: async () => {
    const response = await fetch("http://127.0.0.1:8080/?name=Ada");
    equal(await response.text(), "Hello, Ada!\n");
  },
  udp_echo: async () => {
    equal(await askUdp(9999, "hi"), "hi");
    equal(await askUdp(9999, "again"), "again");
  },
  seed: async (aio) => {
    await aio.waitFor(/Schedule test-scheduler ran/);
    await aio.waitFor(/Listener heard test-signal: BOOM!/);
  },
  cluster: async (a) => {
    // A second node, under the flags printed for it: an order placed on a
    // is heard on both; each report is written by one of them.
    const config = ["-c", "examples/cluster/aio.conf"];
    const env = { NODE: "b", PORT: "8082" };
    const flags = await printedFlags(config, root, [], env);
    const b = new CliProcess([...config, "run"], {
      cwd: root,
      denoFlags: ["--no-prompt", ...flags],
      env,
    });
    try {
      await b.waitFor(/INFO\(aio\.app\): Started: /);
      const response = await fetch(
        "http://127.0.0.1:8081/orders?item=book",
        { method: "POST" },
      );
      equal(await response.text(), "order a-1 (book) placed on a\n");
      await a.waitFor(/Node a heard order a-1 \(book\) placed on a/);
      await b.waitFor(/Node b heard order a-1 \(book\) placed on a/);
      const report = /Node [ab] wrote the nightly-report for (\S+)/;
      await eventually(
        "a nightly report",
        () => report.exec(a.stderr + b.stderr)?.[1],
      );
      const slot = report.exec(a.stderr + b.stderr)![1];
      equal(
        (a.stderr + b.stderr).split(`nightly-report for ${slot}`).length - 1,
        1,
        "one node wrote it",
      );
    } finally {
      if (processAlive(b.child.pid)) b.kill("SIGTERM");
    }
    const stopped = await b.done();
    equal(stopped.code, 0, stopped.stderr);
  },
  greeter: async (_aio, flags) => {
    const greet = await runCli(
      ["-c", "examples/greeter/aio.conf", "greet", "Ada"],
      { cwd: root, denoFlags: ["--no-prompt", ...flags] },
    );
    equal(greet.code, 0, greet.stderr);
    equal(greet.stdout, "Hello, Ada!\n");
  },
};

Deno.test("every example has an exercise here", () => {
  const examples = [...Deno.readDirSync(`${root}examples`)]
    .filter((entry) => entry.isDirectory)
    .map((entry) => entry.name)
    .sort();
  equal(examples.join(" "), Object.keys(EXERCISES).sort().join(" "));
});

for (const [name, exercise] of Object.entries(EXERCISES)) {
  Deno.test(`examples/${name} runs under exactly the flags aio permissions prints`, async () => {
    const config = ["-c", `examples/${name}/aio.conf`];
    const needs = NEEDS[name] ?? {};
    const flags = await printedFlags(config, root, [], needs.env);
    await withExamplePorts(async () => {
      await using _nats = needs.natsPort === undefined
        ? undefined
        : await startNats({ port: needs.natsPort });
      const aio = new CliProcess([...config, "run"], {
        cwd: root,
        denoFlags: ["--no-prompt", ...flags],
        env: needs.env,
      });
      try {
        await aio.waitFor(/INFO\(aio\.app\): Started: /);
        await exercise(aio, flags);
      } finally {
        aio.kill("SIGTERM");
      }
      const result = await aio.done();
      equal(result.code, 0, result.stderr);
      match(result.stderr, /INFO\(aio\.app\): Stopped/);
      // A refused permission shows up as a warning or an error, never silently.
      ok(
        !/WARNING|ERROR|NotCapable|Requires /.test(result.stderr),
        result.stderr,
      );
    });
  });
}

Deno.test("aio run -d, status and stop run under exactly the flags aio permissions -d prints", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aio_detach_" });
  const config = ["-c", `${root}examples/seed/aio.conf`];
  // A stale pidfile: run -d must tell its process is gone and replace it.
  await Deno.mkdir(`${dir}/var/run`, { recursive: true });
  await Deno.writeTextFile(`${dir}/var/run/aio.pid`, "999999999\n");
  const plain = await printedFlags(config, dir);
  const flags = await printedFlags(config, dir, ["-d"]);
  ok(!plain.some((flag) => flag.startsWith("--allow-run")), "-d is opt-in");
  ok(flags.includes("--allow-run=kill,sh"), flags.join(" "));
  let pid: number | undefined;
  try {
    const started = await runCli([...config, "run", "-d"], {
      cwd: dir,
      denoFlags: ["--no-prompt", ...flags],
    });
    equal(started.code, 0, started.stderr);
    pid = Number(/pid (\d+)/.exec(started.stdout)?.[1]);
    equal(
      (await Deno.readTextFile(`${dir}/var/run/aio.pid`)).trim(),
      String(pid),
    );
    await eventually("the detached app's listener", async () => {
      const log = await Deno.readTextFile(`${dir}/var/log/aio.log`);
      return /Listener heard test-signal: BOOM!/.test(log) || undefined;
    }, 20_000);
    // status and stop work under the same flags.
    const status = await runCli([...config, "status"], {
      cwd: dir,
      denoFlags: ["--no-prompt", ...flags],
    });
    equal(status.code, 0, status.stderr);
    match(status.stdout, new RegExp(`running, pid ${pid}`));
    const stopped = await runCli([...config, "stop"], {
      cwd: dir,
      denoFlags: ["--no-prompt", ...flags],
    });
    equal(stopped.code, 0, stopped.stderr);
    await eventually(
      "the detached app to exit",
      () => processAlive(pid!) ? undefined : true,
      15_000,
    );
    pid = undefined;
    match(
      await Deno.readTextFile(`${dir}/var/log/aio.log`),
      /INFO\(aio\.app\): Stopped/,
    );
    ok(
      !(await Deno.stat(`${dir}/var/run/aio.pid`).then(
        () => true,
        () => false,
      )),
      "the pidfile is removed on exit",
    );
  } finally {
    if (pid !== undefined) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    await Deno.remove(dir, { recursive: true });
  }
});
