/**
 * The `aio` command line: `deno run -A cli.ts [-c FILE] COMMAND [ARGS]`.
 *
 * @module
 */

import { app } from "./src/app.ts";
import { runCli } from "./src/runner.ts";

// The app lists aio's public module first; only entry points import it.
app.publicModule ??= () => import("./mod.ts");

// No top-level await: a module the CLI imports may import this file's
// package, and a main module still awaiting at top level would deadlock it.
if (import.meta.main) runCli(Deno.args);
