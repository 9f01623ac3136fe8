// Every command README.md shows in a `sh` block, and every `$ ` line of its
// `console` blocks, runs here as written: through `sh`, in a sandbox that
// looks like this checkout (symlinks to its files, a copy of aio.conf), with
// `aio` on PATH installed the way the README installs it. A line no rule
// below covers fails the test, so a new README command needs a test.
//
// What cannot run here, and what runs instead:
// - JSR is out of reach of CI: `jsr:@aio/app` runs as this checkout's
//   mod.ts (with its deno.json), and `aio` is installed from it by the
//   README's own `deno install` line with that substitution. `deno add
//   jsr:@aio/app` cannot run at all; modules importing "@aio/app" through an
//   import map are tested in tests/e2e/prepare_test.ts.
// - `npx -y deno@2.9.6 ...` downloads Deno from npm; the tasks it runs are
//   the `deno task` lines run here.
// - `aio compile` and `deno task compile` download denort on first use;
//   tests/e2e/distribution_test.ts runs the compile entry instead.
// - `deno task test`, `check` and `ci` are CI itself (.ci/run, of which this
//   test is part); `bench` and `stress` take minutes. These are checked to
//   be tasks of deno.json.
// - `systemctl` needs systemd as PID 1 (tests/systemd/ checks the unit aio
//   prints with systemd-analyze where it is installed); output the README
//   writes to /etc or ~ goes to a file in the sandbox instead.
// - `nc` is not installed everywhere: where it is missing, a stand-in
//   (tests/e2e/_nc.ts) takes its place on PATH.
// - A line ending in ` &` (nats-server, the nodes of a cluster) runs in the
//   background until its block ends; `NAME=VALUE` before a command is its
//   environment.
import { equal, match, ok } from "node:assert/strict";
import { eventually, withExamplePorts } from "./_example_ports.ts";
import { processAlive } from "../../src/process_alive.ts";

const root = new URL("../../", import.meta.url).pathname;
const readme = await Deno.readTextFile(`${root}README.md`);
const tasks = Object.keys(
  JSON.parse(await Deno.readTextFile(`${root}deno.json`)).tasks,
);

/** One line of a README code block. */
interface ReadmeLine {
  /** The command as written (without its `# comment`). */
  command: string;
  /** The comment after it, if any. */
  comment: string;
  /** The README's line number. */
  line: number;
}

/** The README's code blocks in `language`, as lines (indentation of list items removed). */
function blocks(language: string): ReadmeLine[][] {
  const found: ReadmeLine[][] = [];
  const fence = new RegExp(
    "^( *)```" + language + "\\n([\\s\\S]*?)^\\1```$",
    "gm",
  );
  for (const match of readme.matchAll(fence)) {
    const first = readme.slice(0, match.index).split("\n").length + 1;
    found.push(
      match[2].trimEnd().split("\n").map((text, index) => {
        const body = text.slice(match[1].length);
        const comment = /\s+#\s(.*)$/.exec(body);
        // A line that is all comment is not a command, as sh reads it.
        if (body.trimStart().startsWith("#")) {
          return { command: "", comment: body, line: first + index };
        }
        return {
          command: (comment ? body.slice(0, comment.index) : body).trim(),
          comment: comment?.[1] ?? "",
          line: first + index,
        };
      }).filter((line) => line.command !== ""),
    );
  }
  return found;
}

/** A temporary copy of the checkout: symlinks to its files, aio.conf copied (commands may edit it). */
async function sandbox(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "aio_readme_" });
  for (const entry of Deno.readDirSync(root)) {
    if ([".git", "aio.conf", "var", ".env"].includes(entry.name)) continue;
    await Deno.symlink(`${root}${entry.name}`, `${dir}/${entry.name}`);
  }
  await Deno.copyFile(`${root}aio.conf`, `${dir}/aio.conf`);
  return dir;
}

/** A directory for PATH: `aio` installed as the README installs it, and `nc` where it is missing. */
async function toolsDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "aio_readme_bin_" });
  const install = readmeCommands().find((line) =>
    /^deno install .* -n aio jsr:@aio\/app$/.test(line.command)
  );
  ok(install, "the README installs the aio command");
  const installed = await sh(
    withRoot(fromCheckout(install.command), dir),
    root,
  );
  equal(installed.code, 0, installed.output);
  if ((await sh("command -v nc", root)).code !== 0) {
    await Deno.writeTextFile(
      `${dir}/bin/nc`,
      `#!/bin/sh\nexec "${Deno.execPath()}" run -A "${root}tests/e2e/_nc.ts" "$@"\n`,
    );
    await Deno.chmod(`${dir}/bin/nc`, 0o755);
  }
  return `${dir}/bin`;
}

function readmeCommands(): ReadmeLine[] {
  return blocks("sh").flat();
}

/** `jsr:@aio/app` as this checkout's mod.ts, with the import map the package carries. */
function fromCheckout(command: string): string {
  return command.replaceAll(
    "jsr:@aio/app",
    `--config ${root}deno.json ${root}mod.ts`,
  );
}

/** Output the README sends to a system path (`> /etc/systemd/system/x`) goes to the sandbox instead. */
function intoSandbox(command: string): string {
  return command.replace(/> (\/etc|~)\/\S*\/([^/\s]+)$/, "> ./$2");
}

/** `deno install ...` into `dir` instead of ~/.deno (options go before the module). */
function withRoot(command: string, dir: string): string {
  return command.replace(
    /^deno install /,
    `deno install --root ${dir} --force `,
  );
}

let path = "";

function shell(command: string, cwd: string, signal?: AbortSignal) {
  return new Deno.Command("sh", {
    args: ["-c", command],
    cwd,
    env: { NO_COLOR: "1", PATH: `${path}:${Deno.env.get("PATH")}` },
    signal,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

async function sh(
  command: string,
  cwd: string,
): Promise<{ code: number; stdout: string; output: string }> {
  // A line that does not end is a failure, not a hung test run.
  const { code, stdout, stderr } = await shell(
    command,
    cwd,
    AbortSignal.timeout(60_000),
  ).output();
  const out = new TextDecoder().decode(stdout);
  return { code, stdout: out, output: out + new TextDecoder().decode(stderr) };
}

/** A long-running line: started with `exec`, so SIGTERM reaches aio (or `deno task`, which hands it on). */
class Serving {
  readonly #child: Deno.ChildProcess;
  output = "";
  readonly #done: Promise<number>;

  constructor(command: string, cwd: string) {
    this.#child = shell(`exec ${command}`, cwd).spawn();
    const read = async (stream: ReadableStream<Uint8Array>) => {
      for await (const text of stream.pipeThrough(new TextDecoderStream())) {
        this.output += text;
      }
    };
    this.#done = Promise.all([
      this.#child.status,
      read(this.#child.stdout),
      read(this.#child.stderr),
    ]).then(([status]) => status.code);
  }

  /** Resolves once the app answers on 127.0.0.1:8080 or logged that it started; rejects if it ends first. */
  async ready(): Promise<void> {
    let ended = false;
    this.#done.then(() => ended = true);
    await eventually("the app to start", async () => {
      if (ended) throw new Error(`ended before it started:\n${this.output}`);
      if (/Started: |Listener heard|Server is ready/.test(this.output)) {
        return true;
      }
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port: 8080 })).close();
        return true;
      } catch {
        return undefined;
      }
    }, 30_000);
  }

  /** SIGTERM; resolves with the exit code. */
  async stop(): Promise<number> {
    try {
      this.#child.kill("SIGTERM");
    } catch {
      // It has ended already; its code says how.
    }
    return await this.#done;
  }
}

/** Whether the aio command of `command` (`aio ...`, `... cli.ts ...`, `... mod.ts ...`, `deno task start`) runs an app until stopped. */
function runsUntilStopped(command: string): boolean {
  if (/^deno task start$/.test(command)) return true;
  // The last `aio`, cli.ts or package on the line is the one that runs.
  const args = /^(?:.*(?:cli\.ts|jsr:@aio\/app)|aio)((?: \S+)*)$/.exec(
    command,
  )?.[1]
    .trim().split(" ") ?? [];
  const words = [...args];
  while (words.length && words[0].startsWith("-")) {
    const option = words.shift()!;
    if (/^(-c|--config|--log-level)$/.test(option)) words.shift();
  }
  return words[0] === "run" && !args.includes("-d");
}

/** The config a line's comment asks for, written before it runs. */
async function prepare(line: ReadmeLine, dir: string): Promise<void> {
  // "where my_app.conf has: [aio] modules = ./examples/greeter/mod.ts"
  const has = /where (\S+) has: \[([^\]]+)\] (\S+) = (.+)$/.exec(line.comment);
  if (has) {
    await Deno.writeTextFile(
      `${dir}/${has[1]}`,
      `[${has[2]}]\n${has[3]} = ${has[4]}\n`,
    );
  }
  // --env-file lines run the example app with its HTTP port from .env.
  if (line.command.includes("--env-file=.env")) {
    const config = await Deno.readTextFile(`${root}aio.conf`);
    const replaced = config.replace("port = 8080", "port = ${env:PORT}");
    ok(replaced !== config);
    await Deno.writeTextFile(`${dir}/aio.conf`, replaced);
  }
}

/** Why a line is not run here, or undefined when it is. */
function notRunHere(command: string): string | undefined {
  if (command === "deno add jsr:@aio/app") return "JSR is out of reach";
  if (command.startsWith("npx ")) return "downloads Deno from npm";
  if (/(^| )compile( |$)/.test(command)) return "downloads denort";
  if (command.startsWith("systemctl ")) return "needs systemd as PID 1";
  const task = /^deno task (\w+)$/.exec(command)?.[1];
  if (task && ["test", "check", "ci", "bench", "stress"].includes(task)) {
    ok(tasks.includes(task), `deno task ${task} is a task`);
    return "CI runs it, or it takes minutes";
  }
  return undefined;
}

/** `A=1 B=2 cmd ...` as `env A=1 B=2 cmd ...`, which `exec` can run. */
function withEnv(command: string): string {
  return /^\w+=\S* /.test(command) ? `env ${command}` : command;
}

/** Runs one block's lines in order in a fresh sandbox; lines after a long-running one run while it serves. */
async function runBlock(lines: ReadmeLine[]): Promise<void> {
  const dir = await sandbox();
  let serving: { app: Serving; line: ReadmeLine } | undefined;
  const background: { app: Serving; line: ReadmeLine }[] = [];
  const stopServing = async () => {
    if (!serving) return;
    const code = await serving.app.stop();
    equal(code, 0, `line ${serving.line.line}: ${serving.app.output}`);
    if (serving.line.command.includes("--log-level WARNING")) {
      ok(!/ INFO\(/.test(serving.app.output), serving.app.output);
    }
    serving = undefined;
  };
  try {
    for (const line of lines) {
      const where = `README.md:${line.line}: ${line.command}`;
      if (notRunHere(line.command)) continue;
      const command = intoSandbox(fromCheckout(line.command));
      await prepare(line, dir);
      if (line.command.endsWith(" &")) {
        const app = new Serving(withEnv(command.slice(0, -2)), dir);
        background.push({ app, line });
        await app.ready();
        continue;
      }
      if (/^(curl|printf .*\| nc) /.test(line.command)) {
        ok(serving || background.length, `${where}: runs while an app serves`);
        const result = await sh(command, dir);
        equal(result.code, 0, `${where}: ${result.output}`);
        const answer = /answers (.+)$/.exec(line.comment)?.[1];
        ok(answer, `${where}: the README says what it answers`);
        equal(result.stdout.trim(), answer, where);
        continue;
      }
      await stopServing();
      if (/^deno install /.test(line.command)) {
        // Run as the README has it (into a scratch root), then used.
        const scratch = await Deno.makeTempDir();
        const result = await sh(withRoot(command, scratch), dir);
        equal(result.code, 0, `${where}: ${result.output}`);
        const version = await sh(`${scratch}/bin/aio --version`, dir);
        match(version.stdout, /^aio \d+\.\d+\.\d+\n$/, where);
        await Deno.remove(scratch, { recursive: true });
      } else if (runsUntilStopped(line.command)) {
        serving = { app: new Serving(command, dir), line };
        await serving.app.ready();
      } else {
        const result = await sh(command, dir);
        equal(result.code, 0, `${where}: ${result.output}`);
        // A block that stops its daemon itself (`aio stop`) is left to.
        const stopsItself = lines.some((later) =>
          later.line > line.line && /^aio stop( |$)/.test(later.command)
        );
        if (/ run -d$/.test(line.command) && !stopsItself) {
          await stopDetached(dir, where);
        }
        const written = /> \.\/(\S+)$/.exec(command)?.[1];
        if (written && command !== line.command) {
          const text = await Deno.readTextFile(`${dir}/${written}`);
          ok(text.trim().length > 0, `${where}: wrote ${written}`);
        }
      }
    }
    await stopServing();
    // The aio nodes first, then what they use (nats-server).
    for (const { app, line } of background.reverse()) {
      const code = await app.stop();
      if (/(^| )aio /.test(line.command)) {
        equal(code, 0, `line ${line.line}: ${app.output}`);
      }
    }
  } finally {
    if (serving) await serving.app.stop();
    for (const { app } of background) await app.stop();
    await stopLeftDaemon(dir);
    await Deno.remove(dir, { recursive: true });
  }
}

/** Stops a daemon a failed block left running (its pidfile is still there). */
async function stopLeftDaemon(dir: string): Promise<void> {
  let pid: number;
  try {
    pid = Number((await Deno.readTextFile(`${dir}/var/run/aio.pid`)).trim());
  } catch {
    return;
  }
  if (!(pid > 0) || !processAlive(pid)) return;
  Deno.kill(pid, "SIGTERM");
  await eventually(
    "a daemon left by a failed block to stop",
    () => processAlive(pid) ? undefined : true,
    15_000,
  );
}

/** Stops the app a `run -d` line started, by the pid in its pidfile. */
async function stopDetached(dir: string, where: string): Promise<void> {
  const pid = Number(
    (await Deno.readTextFile(`${dir}/var/run/aio.pid`)).trim(),
  );
  ok(pid > 0, where);
  try {
    await eventually(
      `${where}: the detached app to start`,
      async () =>
        /Started: /.test(await Deno.readTextFile(`${dir}/var/log/aio.log`)) ||
        undefined,
      30_000,
    );
  } finally {
    Deno.kill(pid, "SIGTERM");
  }
  await eventually(
    `${where}: the detached app to stop`,
    () => processAlive(pid) ? undefined : true,
    15_000,
  );
  match(await Deno.readTextFile(`${dir}/var/log/aio.log`), /Stopped/);
}

Deno.test("README.md shows commands in sh blocks, each covered here", () => {
  const lines = readmeCommands();
  ok(lines.length >= 20, `${lines.length} commands`);
  for (const line of lines) {
    ok(
      notRunHere(line.command) !== undefined ||
        /^(\w+=\S* )*(aio|deno|curl|printf|echo|nats-server) /.test(
          line.command,
        ) ||
        line.command === "deno task start",
      `README.md:${line.line}: no rule runs ${line.command}`,
    );
  }
});

for (const lines of blocks("sh")) {
  if (lines.every((line) => notRunHere(line.command))) continue;
  Deno.test(`README.md:${lines[0].line - 1}: the sh block's commands run as shown`, async () => {
    path ||= await toolsDir();
    await withExamplePorts(() => runBlock(lines));
  });
}

Deno.test("README.md's console blocks show what aio prints", async () => {
  path ||= await toolsDir();
  const dir = await sandbox();
  try {
    const text = blocks("console").flat().map((line) => line.command).join(
      "\n",
    );
    const steps = text.split(/^\$ /m).filter(Boolean);
    ok(steps.length >= 2);
    for (const step of steps) {
      const [command, ...expected] = step.trimEnd().split("\n");
      const result = await sh(command, dir);
      equal(result.output.trimEnd(), expected.join("\n"), command);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
