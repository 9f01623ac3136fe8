// sd_notify on a real unix datagram socket, through each route, in a real
// child process whose permission flags pick the route.
import assert from "node:assert/strict";
import { type Datagram, NotifySocket } from "./_receiver.ts";
import { SystemdNotifier } from "../../src/systemd/notify.ts";

const CHILD = new URL("./_notify_child.ts", import.meta.url).pathname;

interface ChildRun {
  code: number;
  stdout: string;
  stderr: string;
  pid: number;
  route: string | null;
}

async function runChild(
  flags: string[],
  env: Record<string, string>,
): Promise<ChildRun> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", ...flags, CHILD],
    env: { WATCHDOG_USEC: "200000", WATCHDOG_PID: "", NO_COLOR: "1", ...env },
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  const out = decoder.decode(stdout);
  const result = JSON.parse(out.trim().split("\n").at(-1) || "{}");
  return {
    code,
    stdout: out,
    stderr: decoder.decode(stderr),
    pid: result.pid,
    route: result.route,
  };
}

/** Sends a marker from this process; once it arrives, everything sent before it has. */
async function drain(socket: NotifySocket): Promise<Datagram[]> {
  const marker = `X_MARKER=${crypto.randomUUID()}`;
  const notifier = new SystemdNotifier({
    socket: socket.address,
    routes: ["ffi"],
  });
  await notifier.send({ X_MARKER: marker.slice(9) });
  await notifier.close();
  await socket.waitFor((datagram) => datagram.data === marker);
  return socket.datagrams.filter((datagram) => datagram.data !== marker);
}

/** Checks the child's messages: start, reload, main pid, stop, in order, with watchdog pings between. */
function assertSequence(datagrams: Datagram[], pid: number): void {
  const messages = datagrams.filter((d) => d.data !== "BARRIER=1");
  const main = messages.filter((d) => d.data !== "WATCHDOG=1");
  assert.equal(main.length, 6, JSON.stringify(messages.map((d) => d.data)));
  assert.equal(main[0].data, "READY=1\nSTATUS=started: 1 server");
  assert.match(
    main[1].data,
    /^RELOADING=1\nMONOTONIC_USEC=\d+\nSTATUS=reloading$/,
  );
  assert.equal(main[2].data, "READY=1\nSTATUS=reloaded");
  assert.equal(main[3].data, `MAINPID=${pid}`);
  assert.equal(main[4].data, "STOPPING=1\nSTATUS=stopping");
  assert.equal(main[5].data, "X_TEST_DONE=1");
  // WATCHDOG=1 at once, then every 100 ms (half of WATCHDOG_USEC) while the
  // child waits 350 ms between READY and RELOADING. On a loaded machine the
  // gap can stretch: the upper bound follows the gap as it was received.
  const data = messages.map((d) => d.data);
  assert.equal(data[0], "WATCHDOG=1", "the first ping goes out at start");
  const between =
    data.slice(data.indexOf(main[0].data), data.indexOf(main[1].data))
      .filter((text) => text === "WATCHDOG=1").length;
  const gapMs = (main[1].mono - main[0].mono) / 1000;
  assert.ok(
    between >= 2 && between <= Math.max(4, Math.ceil(gapMs / 100) + 1),
    `${between} pings in ${gapMs.toFixed(0)} ms at 100 ms`,
  );
}

function monotonicOf(
  datagrams: Datagram[],
): { sent: number; received: number } {
  const reloading = datagrams.find((d) => d.data.startsWith("RELOADING=1"))!;
  return {
    sent: Number(/MONOTONIC_USEC=(\d+)/.exec(reloading.data)![1]),
    received: reloading.mono,
  };
}

async function withSocket(
  abstract: boolean,
  fn: (socket: NotifySocket, dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "aio_notify_" });
  const socket = await NotifySocket.bind(
    abstract ? `@aio-test-${crypto.randomUUID()}` : `${dir}/notify`,
  );
  try {
    await fn(socket, dir);
  } finally {
    await socket.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("native route (--unstable-net): the messages in order from aio's own pid, with the narrow flags aio unit writes", async () => {
  await withSocket(false, async (socket, dir) => {
    const runtime = `${dir}/run`;
    await Deno.mkdir(runtime);
    const own = `${runtime}/notify.sock`;
    const child = await runChild([
      "--unstable-net",
      "--allow-env",
      "--allow-sys=osUptime",
      `--allow-net=unix:${own},unix:${socket.address}`,
      `--allow-read=${own}`,
      `--allow-write=${own},${socket.address}`,
    ], { NOTIFY_SOCKET: socket.address, RUNTIME_DIRECTORY: runtime });
    assert.equal(child.code, 0, child.stderr);
    assert.equal(child.route, "native");
    assert.equal(child.stderr, "");
    const datagrams = await drain(socket);
    assertSequence(datagrams, child.pid);
    assert.ok(
      datagrams.every((d) => d.pid === child.pid),
      "sent from aio's pid",
    );
    // CLOCK_BOOTTIME rounded up to the second: never early, at most ~1 s late.
    const { sent, received } = monotonicOf(datagrams);
    assert.ok(
      sent >= received - 2_000_000 && sent <= received + 1_100_000,
      `${sent} vs ${received}`,
    );
    await assert.rejects(
      Deno.stat(own),
      Deno.errors.NotFound,
      "its socket is removed",
    );
  });
});

Deno.test("ffi route (--allow-ffi, no unstable flag): the same messages from aio's pid, with the exact clock", async () => {
  await withSocket(false, async (socket) => {
    const child = await runChild(["--allow-env", "--allow-ffi"], {
      NOTIFY_SOCKET: socket.address,
    });
    assert.equal(child.code, 0, child.stderr);
    assert.equal(child.route, "ffi");
    const datagrams = await drain(socket);
    assertSequence(datagrams, child.pid);
    assert.ok(datagrams.every((d) => d.pid === child.pid));
    const { sent, received } = monotonicOf(datagrams);
    assert.ok(
      sent <= received && sent > received - 2_000_000,
      `${sent} vs ${received}`,
    );
  });
});

Deno.test("helper route (systemd-notify, no unstable flag, no FFI): the same messages, through the helper", async () => {
  await withSocket(false, async (socket) => {
    const child = await runChild([
      "--allow-env",
      "--allow-run=systemd-notify",
      "--allow-sys=osUptime",
    ], { NOTIFY_SOCKET: socket.address });
    assert.equal(child.code, 0, child.stderr);
    assert.equal(child.route, "helper");
    const datagrams = await drain(socket);
    assertSequence(datagrams, child.pid);
    // systemd-notify's own datagram (its barrier) shows its own pid: the helper sent these.
    const barriers = datagrams.filter((d) => d.data === "BARRIER=1");
    assert.ok(
      barriers.length >= 6 && barriers.every((d) => d.pid !== child.pid),
    );
    // The messages carry aio's pid only where systemd-notify may forge its
    // parent's credentials (as root); otherwise its own: hence NotifyAccess=all.
    const messages = datagrams.filter((d) => d.data !== "BARRIER=1");
    if (Deno.uid() === 0) {
      assert.ok(messages.every((d) => d.pid === child.pid));
    } else {
      assert.ok(messages.every((d) => d.pid !== child.pid && d.pid > 0));
    }
  });
});

Deno.test("an abstract NOTIFY_SOCKET (@name): native cannot reach it, so even with --unstable-net the ffi route does", async () => {
  await withSocket(true, async (socket) => {
    const child = await runChild(["-A", "--unstable-net"], {
      NOTIFY_SOCKET: socket.address,
    });
    assert.equal(child.code, 0, child.stderr);
    assert.equal(child.route, "ffi");
    assertSequence(await drain(socket), child.pid);
  });
});

Deno.test("an abstract NOTIFY_SOCKET through systemd-notify", async () => {
  await withSocket(true, async (socket) => {
    const child = await runChild(
      ["--allow-env", "--allow-run=systemd-notify"],
      {
        NOTIFY_SOCKET: socket.address,
      },
    );
    assert.equal(child.code, 0, child.stderr);
    assert.equal(child.route, "helper");
    const datagrams = await drain(socket);
    // Without FFI or --allow-sys there is no clock: RELOADING=1 goes without MONOTONIC_USEC.
    const reloading = datagrams.find((d) => d.data.startsWith("RELOADING=1"));
    assert.equal(reloading?.data, "RELOADING=1\nSTATUS=reloading");
  });
});

Deno.test("no route permitted: one warning, nothing sent, and the app goes on", async () => {
  await withSocket(false, async (socket) => {
    const child = await runChild(["--allow-env"], {
      NOTIFY_SOCKET: socket.address,
    });
    assert.equal(child.code, 0, child.stderr);
    assert.equal(child.route, null);
    const warnings = child.stderr.trim().split("\n");
    assert.equal(warnings.length, 1, child.stderr);
    assert.match(
      warnings[0],
      /^WARN Cannot notify systemd at \S+: no route works \(native: Deno's unix datagrams need --unstable-net; ffi: FFI is not granted \(--allow-ffi\); helper: running systemd-notify is not granted/,
    );
    assert.deepEqual(await drain(socket), []);
  });
});

Deno.test("a notify socket nobody listens on: one warning for all the failed sends, exit 0", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aio_notify_" });
  try {
    const child = await runChild(["--allow-env", "--allow-ffi"], {
      NOTIFY_SOCKET: `${dir}/nobody`,
    });
    assert.equal(child.code, 0, child.stderr);
    assert.equal(child.route, "ffi");
    const warnings = child.stderr.trim().split("\n");
    assert.equal(warnings.length, 1, child.stderr);
    assert.match(
      warnings[0],
      /through ffi: sendto .*nobody failed: ENOENT \(further failures are not logged\)$/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("WATCHDOG_PID naming another process: no pings from this one", async () => {
  await withSocket(false, async (socket) => {
    const child = await runChild(["--allow-env", "--allow-ffi"], {
      NOTIFY_SOCKET: socket.address,
      WATCHDOG_PID: "1",
    });
    assert.equal(child.code, 0, child.stderr);
    const datagrams = await drain(socket);
    assert.equal(datagrams.filter((d) => d.data === "WATCHDOG=1").length, 0);
    assert.equal(datagrams.filter((d) => d.data !== "WATCHDOG=1").length, 6);
  });
});

Deno.test("the watchdog pings come from the event loop: a blocked loop stops them, as systemd needs to see", async () => {
  await withSocket(false, async (socket) => {
    const child = await runChild(["--allow-env", "--allow-ffi"], {
      NOTIFY_SOCKET: socket.address,
      X_TEST_BLOCK_MS: "600",
    });
    assert.equal(child.code, 0, child.stderr);
    const pings = (await drain(socket))
      .filter((d) => d.data === "WATCHDOG=1" || d.data.startsWith("RELOADING"));
    const gaps = pings.slice(1).map((d, i) => ({
      gap: d.mono - pings[i].mono,
      after: d.data,
    }));
    const longest = gaps.reduce((a, b) => (b.gap > a.gap ? b : a));
    assert.ok(longest.gap >= 550_000, `longest silence ${longest.gap} µs`);
    // The pings resume once the loop is free, before the reload.
    assert.equal(longest.after, "WATCHDOG=1");
  });
});

Deno.test("without NOTIFY_SOCKET the notifier is off and every call is a no-op", async () => {
  const notifier = new SystemdNotifier({ socket: "", watchdogUsec: 1000 });
  assert.equal(notifier.enabled, false);
  assert.equal(notifier.startWatchdog(), false);
  await notifier.ready("x");
  assert.equal(notifier.route, undefined);
  await notifier.close();
});

Deno.test("a NOTIFY_SOCKET that is neither a path nor @name is refused with one warning", async () => {
  const warnings: string[] = [];
  const notifier = new SystemdNotifier({
    socket: "relative/path",
    warn: (message) => warnings.push(message),
  });
  assert.equal(notifier.enabled, false);
  await notifier.ready();
  assert.deepEqual(warnings, [
    "NOTIFY_SOCKET=relative/path is neither an absolute path nor @abstract; not notifying systemd",
  ]);
});
