/**
 * Whether a config can add commands of its own, told from the user config
 * alone: the cheap check that lets `aio help` and an unknown command's
 * error do without importing the app.
 *
 * @module
 */

import {
  buildConfig,
  type ConfigSourceOptions,
  readUserConfig,
} from "../config/layers.ts";

/**
 * Whether the user config could add commands: it has `[aio/commands]`, or
 * lists modules (whose own defaults may hold one). When it cannot,
 * `aio help` and an unknown command's error do without loading the app. A
 * config that cannot be read may: loading it says what is wrong.
 */
export function mayAddCommands(source: ConfigSourceOptions): boolean {
  try {
    const config = buildConfig(readUserConfig(source));
    return config.has("aio/commands") ||
      config.get("aio", "modules", { raw: true, fallback: "" }).trim() !== "";
  } catch {
    return true;
  }
}
