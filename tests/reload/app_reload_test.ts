// App.reload from the library: the outcome it returns, the state it
// switches, and what it leaves alone when the new config is bad.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { app } from "../../src/app.ts";
import { runApp } from "../../testing.ts";

const MODULE = `export function hello() { return "hello"; }
export function bye() { return "bye"; }
`;

async function withModule<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "aio_app_reload_" });
  await Deno.writeTextFile(`${dir}/greet.ts`, MODULE);
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("reload() with nothing running fails, touching nothing", async () => {
  const result = await app.reload({ configString: "[aio]\n" });
  equal(result.outcome, "failed");
  match(result.errors[0].message, /not running/);
  equal(app.config, null);
  equal(app.lastReload, result);
  await app.clear();
  equal(app.lastReload, undefined);
});

Deno.test("reload() switches config and listeners, and returns the outcome with the new config's warnings", async () => {
  await withModule(async (dir) => {
    const source = `${dir}/aio.conf`;
    await runApp("[listen/x]\nping = ./greet.ts#hello\n", async (app) => {
      deepEqual(await app.signals!.emit("ping"), ["hello"]);
      const before = app.config;
      const result = await app.reload({
        configString:
          "[listen/x]\nping = ./greet.ts#bye\n\n[lisen/y]\nping = ./greet.ts#bye\n",
        configSource: source,
      });
      equal(result.outcome, "reloaded", result.errors.join("\n"));
      equal(result.seq, 1);
      deepEqual(result.errors, []);
      equal(result.warnings.length, 1);
      match(result.warnings[0].message, /lisen\/y/);
      deepEqual(await app.signals!.emit("ping"), ["bye"]);
      ok(app.config !== before, "app.config switched");
      deepEqual(result.servers, undefined, "no server layer was needed");
      ok(result.durationMs >= 0);
    }, { source });
  });
});

Deno.test("reload() with a bad config fails with every problem in file order and leaves the app as it was", async () => {
  await withModule(async (dir) => {
    const source = `${dir}/aio.conf`;
    await runApp("[listen/x]\nping = ./greet.ts#hello\n", async (app) => {
      const before = { config: app.config, modules: app.modules };
      const result = await app.reload({
        configString:
          "[listen/x]\nping = ./greet.ts#nope\n\n[aio]\nshutdown_timeout = soon\n",
        configSource: source,
      });
      equal(result.outcome, "failed");
      deepEqual(result.errors.map((error) => error.message), [
        `${source}:2: [listen/x] ping: Module './greet.ts' has no export 'nope' (it has: bye, hello)`,
        `${source}:5: [aio] shutdown_timeout: must be a number of seconds from 0 to 86400, not "soon"`,
      ]);
      equal(app.config, before.config);
      equal(app.modules, before.modules);
      deepEqual(await app.signals!.emit("ping"), ["hello"]);
      equal(app.lastReload, result);
    }, { source });
  });
});
