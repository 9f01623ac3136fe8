// `aio unit`: the unit it prints passes `systemd-analyze verify` with no
// complaint, whatever the paths hold (.ci/run installs systemd for it).
import assert from "node:assert/strict";
import { runCli } from "../e2e/_cli.ts";
import {
  renderServiceUnit,
  stopTimeoutS,
} from "../../src/systemd/unit_file.ts";

/** Runs `systemd-analyze verify` on the unit text saved as NAME.service; returns its output (empty when all is well). */
async function verify(
  text: string,
  name: string,
  options: { user?: boolean } = {},
): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "aio_unit_" });
  try {
    const path = `${dir}/${name}.service`;
    await Deno.writeTextFile(path, text);
    const runtime = `${dir}/xdg`;
    await Deno.mkdir(runtime);
    const { code, stdout, stderr } = await new Deno.Command("systemd-analyze", {
      args: ["verify", ...(options.user ? ["--user"] : []), path],
      // A user manager needs a runtime directory; verify reads nothing else from here.
      env: options.user ? { XDG_RUNTIME_DIR: runtime } : {},
      stdin: "null",
    }).output();
    const decoder = new TextDecoder();
    const output = decoder.decode(stdout) + decoder.decode(stderr);
    return code === 0 ? output : `exit ${code}: ${output}`;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** An app directory whose path has a space, a `%` and a `$` in it. */
async function appDir(config: string): Promise<string> {
  const parent = await Deno.makeTempDir({ prefix: "aio_unit_app_" });
  const dir = `${parent}/my shop 100% $HOME`;
  await Deno.mkdir(`${dir}/logs dir`, { recursive: true });
  await Deno.writeTextFile(`${dir}/aio.conf`, config);
  await Deno.writeTextFile(
    `${dir}/proto.ts`,
    "export class Echo { connectionMade() {} dataReceived() {} }\n",
  );
  return dir;
}

const CONFIG = `[aio]
shutdown_timeout = 7.5

[aio/health]
address = 0.0.0.0
port = 9100

[server/echo]
protocol = ./proto.ts#Echo
path = sockets/echo.sock

[logger_root]
level = INFO
handlers = file

[handler_file]
class = FileHandler
args = ("logs dir/app.log", "a")
`;

function setting(text: string, key: string): string[] {
  return text.split("\n").filter((line) => line.startsWith(`${key}=`))
    .map((line) => line.slice(key.length + 1));
}

Deno.test("aio unit prints a system unit that systemd-analyze verify accepts, with paths that need quoting", async () => {
  const dir = await appDir(CONFIG);
  try {
    const result = await runCli(["unit", "--name", "shop"], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await verify(result.stdout, "shop"), "");
    const unit = result.stdout;
    assert.deepEqual(setting(unit, "Type"), ["notify"]);
    assert.deepEqual(setting(unit, "NotifyAccess"), ["main"]);
    assert.deepEqual(setting(unit, "ExecReload"), ["/bin/kill -HUP $MAINPID"]);
    assert.deepEqual(setting(unit, "TimeoutStopSec"), [String(8 + 1 + 4)]);
    assert.deepEqual(setting(unit, "WatchdogSec"), ["30"]);
    assert.deepEqual(setting(unit, "Restart"), ["on-failure"]);
    assert.deepEqual(setting(unit, "RestartPreventExitStatus"), ["78"]);
    assert.deepEqual(setting(unit, "RuntimeDirectory"), ["shop"]);
    for (
      const hardening of [
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "PrivateTmp=yes",
      ]
    ) {
      assert.ok(unit.includes(`\n${hardening}\n`), hardening);
    }
    assert.deepEqual(setting(unit, "WantedBy"), ["multi-user.target"]);
    const escaped = dir.replaceAll("%", "%%").replaceAll("$", () => "$$");
    assert.deepEqual(setting(unit, "WorkingDirectory"), [
      dir.replaceAll("%", "%%"),
    ]);
    const [execStart] = setting(unit, "ExecStart");
    assert.ok(
      execStart.startsWith(
        `${Deno.execPath()} run --unstable-net --no-prompt `,
      ),
      execStart,
    );
    assert.ok(execStart.endsWith(` -c "${escaped}/aio.conf" run`), execStart);
    assert.ok(
      execStart.includes(" --allow-net=0.0.0.0:9100 "),
      "the health port",
    );
    assert.ok(
      execStart.includes(
        `"--allow-write=${escaped}/logs dir/app.log,${escaped}/sockets/echo.sock"`,
      ),
    );
    assert.ok(execStart.includes(
      " --allow-net=unix:%t/shop/notify.sock,unix:%t/systemd/notify --allow-read=%t/shop/notify.sock --allow-write=%t/shop/notify.sock,%t/systemd/notify ",
    ));
    assert.match(
      execStart,
      / --allow-env=\S*NOTIFY_SOCKET,\S*WATCHDOG_PID,WATCHDOG_USEC /,
    );
    assert.ok(execStart.includes(" --allow-sys=osUptime "));
    // The log directory exists: required. The socket's does not: optional, and a warning says so.
    const [readWrite] = setting(unit, "ReadWritePaths");
    assert.ok(
      readWrite.includes(`"${dir.replaceAll("%", "%%")}/logs dir"`),
      readWrite,
    );
    assert.ok(
      readWrite.includes(`"-${dir.replaceAll("%", "%%")}/sockets"`),
      readWrite,
    );
    assert.ok(
      readWrite.includes(`"-${dir.replaceAll("%", "%%")}/var/run"`),
      readWrite,
    );
    assert.match(
      result.stderr,
      /^aio: warning: .*\/sockets does not exist: create it before the unit starts/m,
    );
  } finally {
    await Deno.remove(dir.replace(/\/[^/]*$/, ""), { recursive: true });
  }
});

Deno.test("aio unit leaves [aio] pidfile's directory writable, not var/run", async () => {
  const dir = await appDir("[aio]\npidfile = state/shop.pid\n");
  try {
    const result = await runCli(["unit", "--name", "shop"], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await verify(result.stdout, "shop"), "");
    const [readWrite] = setting(result.stdout, "ReadWritePaths");
    const escaped = dir.replaceAll("%", "%%");
    assert.ok(readWrite.includes(`"-${escaped}/state"`), readWrite);
    assert.ok(!readWrite.includes("var/run"), readWrite);
  } finally {
    await Deno.remove(dir.replace(/\/[^/]*$/, ""), { recursive: true });
  }
});

Deno.test("aio unit --user prints a user unit that verify --user accepts", async () => {
  const dir = await appDir("[aio]\nshutdown_timeout = 0\n");
  try {
    const result = await runCli(["unit", "--user", "--watchdog", "0"], {
      cwd: dir,
    });
    assert.equal(result.code, 0, result.stderr);
    // The default name comes from the working directory.
    assert.match(result.stdout, /^RuntimeDirectory=my-shop-100-HOME$/m);
    assert.equal(
      await verify(result.stdout, "my-shop-100-HOME", { user: true }),
      "",
    );
    assert.deepEqual(setting(result.stdout, "WantedBy"), ["default.target"]);
    assert.deepEqual(setting(result.stdout, "After"), []);
    assert.deepEqual(setting(result.stdout, "WatchdogSec"), []);
    assert.deepEqual(setting(result.stdout, "TimeoutStopSec"), ["5"]);
  } finally {
    await Deno.remove(dir.replace(/\/[^/]*$/, ""), { recursive: true });
  }
});

Deno.test("aio unit --notify helper: no unstable flag, systemd-notify allowed, NotifyAccess=all", async () => {
  const dir = await appDir("");
  try {
    const result = await runCli([
      "unit",
      "--name",
      "shop",
      "--notify",
      "helper",
    ], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await verify(result.stdout, "shop"), "");
    assert.deepEqual(setting(result.stdout, "NotifyAccess"), ["all"]);
    const [execStart] = setting(result.stdout, "ExecStart");
    assert.ok(!execStart.includes("--unstable"), execStart);
    assert.ok(execStart.includes(" --allow-run=systemd-notify "), execStart);
    assert.ok(!execStart.includes("unix:"), execStart);
  } finally {
    await Deno.remove(dir.replace(/\/[^/]*$/, ""), { recursive: true });
  }
});

Deno.test("quoting holds for every character a path may hold: verify finds the binary and accepts the rest", async () => {
  const parent = await Deno.makeTempDir({ prefix: "aio_unit_quote_" });
  // systemd refuses quotes and backslashes in the executable's path; the arguments get them.
  const odd = `${parent}/a b 50% $USER \${HOME} ;x`;
  const awkward = `/srv/a "quoted" \\back\\ 'x' 100% $HOME\ttab\n`;
  try {
    await Deno.mkdir(odd);
    await Deno.symlink(Deno.execPath(), `${odd}/deno`);
    const text = renderServiceUnit({
      name: "odd",
      description: `odd app 100% (${odd})`,
      user: false,
      comments: ["a comment with 100% and $HOME"],
      workingDirectory: odd,
      environment: { DENO_DIR: awkward, PLAIN: "1" },
      executable: `${odd}/deno`,
      execArgs: [["run"], [";"], [""], [`--allow-read=${awkward}`], [odd]],
      notifyAccess: "main",
      shutdownTimeoutS: 10,
      watchdogS: 30,
      writable: [{ path: odd, optional: false }, {
        path: awkward,
        optional: true,
      }],
    });
    // verify checks that ExecStart's binary exists: a quoting slip would name another path.
    assert.equal(await verify(text, "odd"), "");
    // And a broken binary path is reported, so the check above can fail.
    const broken = text.replace(`/deno" run`, `/nodeno" run`);
    assert.match(await verify(broken, "odd"), /nodeno is not executable/);
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("a line break cannot go into a single-value setting, nor a control character into the executable", () => {
  assert.throws(
    () =>
      renderServiceUnit({
        name: "x",
        description: "x",
        user: false,
        comments: [],
        workingDirectory: "/srv",
        environment: {},
        executable: "/srv/a\tb/deno",
        execArgs: [],
        notifyAccess: "main",
        shutdownTimeoutS: 1,
        watchdogS: 0,
        writable: [],
      }),
    /will not run an executable whose path holds a quote, a backslash or a control character/,
  );
  assert.throws(
    () =>
      renderServiceUnit({
        name: "x",
        description: "x",
        user: false,
        comments: [],
        workingDirectory: "/srv/a\nb",
        environment: {},
        executable: "/bin/true",
        execArgs: [],
        notifyAccess: "main",
        shutdownTimeoutS: 1,
        watchdogS: 0,
        writable: [],
      }),
    /cannot hold a line break/,
  );
});

Deno.test("TimeoutStopSec leaves systemd's SIGKILL past aio's own bound (shutdown_timeout + 1 s)", () => {
  assert.equal(stopTimeoutS(10), 15);
  assert.equal(stopTimeoutS(0.2), 6);
  assert.equal(stopTimeoutS(0), 5);
});

Deno.test("aio unit refuses bad arguments (exit 2) and a bad config (exit 78)", async () => {
  const dir = await appDir("[aio]\nshutdown_timeout = -1\n");
  try {
    const name = await runCli(["unit", "--name", "a/b"], { cwd: dir });
    assert.equal(name.code, 2);
    assert.match(name.stderr, /^aio: error: unit: invalid name 'a\/b'/m);
    const watchdog = await runCli(["unit", "--watchdog", "1.5"], { cwd: dir });
    assert.equal(watchdog.code, 2);
    assert.match(
      watchdog.stderr,
      /--watchdog takes whole seconds \(0 for none\), not '1\.5'/,
    );
    const notify = await runCli(["unit", "--notify", "dbus"], { cwd: dir });
    assert.equal(notify.code, 2);
    const config = await runCli(["unit"], { cwd: dir });
    assert.equal(config.code, 78);
    assert.match(
      config.stderr,
      /^aio: config error: aio\.conf:2: \[aio\] shutdown_timeout: must be a number of seconds from 0 to 86400, not "-1"$/m,
    );
  } finally {
    await Deno.remove(dir.replace(/\/[^/]*$/, ""), { recursive: true });
  }
});

Deno.test("aio unit reports a bad [aio/health] as a config error (exit 78)", async () => {
  const dir = await appDir("[aio/health]\nport = http\n");
  try {
    const result = await runCli(["unit"], { cwd: dir });
    assert.equal(result.code, 78);
    assert.match(
      result.stderr,
      /^aio: config error: aio\.conf:2: \[aio\/health\] port: must be an integer 0-65535 \(0 picks a free port\), not "http"$/m,
    );
  } finally {
    await Deno.remove(dir.replace(/\/[^/]*$/, ""), { recursive: true });
  }
});
