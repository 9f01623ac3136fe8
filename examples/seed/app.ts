/**
 * The seed's scheduler and listener: every two seconds the scheduler emits
 * `test-signal`, and the listener logs what it heard.
 *
 * @module
 */

import { app, getLogger } from "../../mod.ts";

const logger = getLogger("aio.example");

/** Runs every two seconds (see `[schedule/test-scheduler]`). */
export async function testScheduler(name: string): Promise<void> {
  logger.info("Schedule {name} ran", { name });
  await app.signals?.emit("test-signal", "BOOM!");
}

/** Hears `test-signal` (see `[listen/test-listener]`). */
export function testListener(signal: string, message: unknown): string {
  logger.info("Listener heard {signal}: {message}", { signal, message });
  return `heard ${message}`;
}
