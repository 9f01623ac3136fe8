/**
 * Helpers for testing aio apps and modules.
 *
 * @example Running an app for the length of a test
 * ```ts ignore
 * import { runApp } from "@aio/app/testing";
 * import { assertEquals } from "node:assert/strict";
 *
 * Deno.test("my listener answers", async () => {
 *   await runApp("[listen/x]\nping = ./my_module.ts#pong\n", async (app) => {
 *     assertEquals(await app.signals!.emit("ping", 1), ["pong"]);
 *   });
 * });
 * ```
 *
 * @module
 */

import { type App, app } from "./src/app.ts";
import { runner } from "./src/runner.ts";
import { AioError } from "./src/errors.ts";

// The app lists aio's public module first; only entry points import it.
app.publicModule ??= () => import("./mod.ts");

/** Options for {@linkcode runApp}. */
export interface RunAppOptions {
  /** Fail (and clear the app) if `fn` has not settled after this many milliseconds (default 30,000). */
  timeout?: number;
  /**
   * The path the config string is treated as coming from: relative
   * references resolve against its directory, and errors name it (default
   * `<string>`, resolved against the working directory).
   */
  source?: string;
}

/**
 * Starts an app from a config string (as `aio run` would, without waiting
 * for a signal), runs `fn` with it, and always clears the app afterwards,
 * so ports, timers and logging are released before the test ends.
 *
 * @example Asking a server the app started
 * ```ts
 * import { runApp } from "@aio/app/testing";
 * const answer = await runApp(
 *   "[server/hello]\nhandler = ./hello.ts#hello\naddress = 127.0.0.1\nport = 0\n",
 *   async (app) => {
 *     const { port } = app.servers.hello.addr as Deno.NetAddr;
 *     return await (await fetch(`http://127.0.0.1:${port}/`)).text();
 *   },
 * );
 * console.log(answer);
 * ```
 */
export async function runApp<T>(
  config: string,
  fn: (app: App) => T | Promise<T>,
  options: RunAppOptions = {},
): Promise<T> {
  const timeoutMs = options.timeout ?? 30_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await runner(["run"], {
      configString: config,
      configSource: options.source,
    });
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new AioError(
              `runApp: the test function did not finish within ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      );
    });
    return await Promise.race([Promise.resolve(fn(app)), timeout]);
  } finally {
    clearTimeout(timer);
    await app.clear();
  }
}

/**
 * Resolves with the next message emitted on `signal` (listening only until
 * then). Handy to wait on an event instead of sleeping.
 *
 * @example Waiting for a schedule's signal instead of sleeping
 * ```ts
 * import { nextSignal, runApp } from "@aio/app/testing";
 * await runApp("[schedule/tick]\nfunc = ./app.ts#tick\nevery = 0.1\n", async (app) => {
 *   const message = await nextSignal(app.signals!, "tick");
 *   console.log(message);
 * });
 * ```
 */
export function nextSignal(
  signals: NonNullable<App["signals"]>,
  signal: string,
): Promise<unknown> {
  return new Promise((resolve) => {
    const listener = (_: string, message: unknown) => {
      signals.unlisten(signal, listener);
      resolve(message);
    };
    signals.listen(signal, listener);
  });
}

export { app };

/**
 * The app's config that `aio test` hands to a module's tests through the
 * `AIO_CONFIG` environment variable: the config file's text and path, or
 * the config string. Undefined outside `aio test`.
 *
 * @example Testing a module against the app's own config
 * ```ts
 * import { appConfigForTests, runApp } from "@aio/app/testing";
 * const config = appConfigForTests();
 * if (config) await runApp(config.text, async (app) => {}, { source: config.source });
 * ```
 */
export function appConfigForTests():
  | { text: string; source?: string }
  | undefined {
  const value = Deno.env.get("AIO_CONFIG");
  if (!value) return undefined;
  if (value.includes("\n") || !value.startsWith("/")) return { text: value };
  return { text: Deno.readTextFileSync(value), source: value };
}
