/**
 * A module with its own defaults and a command: its `aio.conf` adds the
 * `greet` command and a listener, and `aio greet NAME` runs the command.
 *
 * @module
 */

import type { App } from "../../mod.ts";

/** Greet someone by name */
export function greet(argv: string[], _app: App): number {
  const [name] = argv;
  if (!name) {
    console.error("usage: aio greet NAME");
    return 3;
  }
  console.log(`Hello, ${name}!`);
  return 0;
}
// Completes its line in `aio help greet`: `usage: aio greet NAME`.
greet.usage = "NAME";

/** Hears `greeting` and answers it. */
export function onGreeting(_signal: string, name: unknown): string {
  return `Hello, ${name}!`;
}
