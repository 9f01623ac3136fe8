// `aio run -d` says why a launch failed, in aio's one-line shape: a daemon
// that fails before it could report (its pidfile's directory cannot be
// made, so neither can the report beside it) has its error lines relayed
// from the daemon log with its exit code, and a daemon log that cannot be
// opened names `[aio] daemon_log` at its line (exit 78) or, for the
// default log, the path (exit 1).
import { deepEqual, equal, match } from "node:assert/strict";
import { runCli, tempApp } from "./_cli.ts";
import { processesWith, waitUntil } from "./_processes.ts";

const APP = "[aio]\nshutdown_timeout = 2\n";

async function noDaemonLeft(dir: string): Promise<void> {
  await waitUntil(
    () => processesWith(`${dir}/aio.conf`).length === 0,
    "no daemon left",
  );
}

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

Deno.test("run -d relays the error of a daemon that could not take its pidfile, with its exit code", async () => {
  // A file where the pidfile's directory should be, and a directory that
  // cannot be made.
  const dir = await tempApp(APP, { "blocker": "a file\n" });
  try {
    for (
      const [pidfile, reason] of [
        ["blocker/x.pid", /File exists: mkdir '.*\/blocker'/],
        ["/proc/nope/x.pid", /No such file or directory: mkdir '\/proc\/nope'/],
      ] as const
    ) {
      const result = await runCli(["run", "-d", "--pidfile", pidfile], {
        cwd: dir,
      });
      equal(result.code, 1, result.stderr);
      equal(result.stdout, "");
      const lines = result.stderr.trim().split("\n");
      equal(lines.length, 2, result.stderr);
      match(
        lines[0],
        new RegExp(
          `^aio: error: cannot create the pidfile ${pidfile}: ${reason.source}$`,
        ),
      );
      match(
        lines[1],
        /^aio: error: the daemon \(pid \d+\) exited with code 1 before it started; see var\/log\/aio\.log$/,
      );
      await noDaemonLeft(dir);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("run -d with an [aio] daemon_log that cannot be opened: a config error at its line, exit 78, nothing started", async () => {
  for (
    const [log, reason] of [
      ["blocker/aio.log", /File exists: mkdir '.*\/blocker'/],
      ["/proc/nope/aio.log", /No such file or directory: mkdir '\/proc\/nope'/],
    ] as const
  ) {
    const dir = await tempApp(`${APP}daemon_log = ${log}\n`, {
      "blocker": "a file\n",
    });
    try {
      const result = await runCli(["run", "-d"], { cwd: dir });
      equal(result.code, 78, result.stderr);
      const lines = result.stderr.trim().split("\n");
      equal(lines.length, 1, result.stderr);
      match(
        lines[0],
        new RegExp(
          `^aio: config error: aio\\.conf:3: \\[aio\\] daemon_log: cannot open '${log}': ${reason.source}$`,
        ),
      );
      deepEqual(await exists(`${dir}/var`), false, "nothing started");
      await noDaemonLeft(dir);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

Deno.test("run -d with the default daemon log unusable: one line naming it, exit 1", async () => {
  // A file where var/ should be.
  const dir = await tempApp(APP, { "var": "a file\n" });
  try {
    const result = await runCli(["run", "-d"], { cwd: dir });
    equal(result.code, 1, result.stderr);
    equal(
      result.stderr.trim().split("\n").length,
      1,
      result.stderr,
    );
    match(
      result.stderr,
      /^aio: error: cannot open the daemon log var\/log\/aio\.log: Not a directory: mkdir '.*\/var\/log'\n$/,
    );
    await noDaemonLeft(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
