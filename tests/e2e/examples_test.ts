// Every example in examples/ runs under exactly the flags `aio permissions`
// prints for it (no -A, no prompt), answers as its aio.conf says, and stops
// on SIGTERM with exit 0; `aio run -d` runs under `aio permissions -d`'s.
import { equal, match, ok } from "node:assert/strict";
import dgram from "node:dgram";
import { CliProcess, runCli } from "./_cli.ts";
import { processAlive } from "../../src/process_alive.ts";
import { eventually, withExamplePorts } from "./_example_ports.ts";
import { readAll, writeAll } from "../server/_helpers.ts";

const root = new URL("../../", import.meta.url).pathname;

/** The flags `aio permissions` prints for `args`' config, checked to be narrow. */
async function printedFlags(
  config: string[],
  cwd: string,
  options: string[] = [],
): Promise<string[]> {
  const printed = await runCli([...config, "permissions", ...options], {
    cwd,
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
    const flags = await printedFlags(config, root);
    await withExamplePorts(async () => {
      const aio = new CliProcess([...config, "run"], {
        cwd: root,
        denoFlags: ["--no-prompt", ...flags],
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
