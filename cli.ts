/**
 * The `aio` command line: `deno run -A cli.ts [-c FILE] COMMAND [ARGS]`.
 *
 * @module
 */

import { runCli } from "./src/runner.ts";

// No top-level await: a module the CLI imports may import this file's
// package, and a main module still awaiting at top level would deadlock it.
// The app lists aio's public module first; only entry points import it, and
// only the commands that load the app pay for it.
if (import.meta.main) {
  runCli(Deno.args, { publicModule: () => import("./mod.ts") });
}
