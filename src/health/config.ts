/**
 * Reading `[aio/health]`: `port` (required) and `address` (default
 * 127.0.0.1), every problem collected with its file and line.
 *
 * @module
 */

import type { ConfigParser } from "../config/config_parser.ts";
import { ConfigError, errorAt } from "../config/errors.ts";
import { ownOptions } from "../config/sections.ts";

/** The section that turns the health server on. */
export const HEALTH_SECTION = "aio/health";
/** Where the health server listens when `address` is not given: this host only. */
export const DEFAULT_HEALTH_ADDRESS = "127.0.0.1";
const OPTIONS = ["port", "address"];

/** A checked `[aio/health]` section. */
export interface HealthSpec {
  /** The address to listen on. */
  address: string;
  /** The port (0 picks a free one). */
  port: number;
}

/**
 * Reads `[aio/health]`. No section means no health server: `spec` is
 * undefined and there are no errors.
 *
 * @returns The spec when the section is there and sound, and every problem found.
 *
 * @example
 * ```ts
 * import { ConfigParser } from "../config/config_parser.ts";
 * import { readHealthSpec } from "./config.ts";
 * const config = new ConfigParser().readString("[aio/health]\nport = 9100\n", "app.conf");
 * const { spec } = readHealthSpec(config);
 * console.log(spec); // { address: "127.0.0.1", port: 9100 }
 * ```
 */
export function readHealthSpec(
  config: ConfigParser,
): { spec?: HealthSpec; errors: ConfigError[] } {
  if (!config.has(HEALTH_SECTION)) return { errors: [] };
  const errors: ConfigError[] = [];
  const error = (option: string, detail: string) =>
    errors.push(
      errorAt(
        config.source(HEALTH_SECTION, option),
        `[${HEALTH_SECTION}] ${option}: ${detail}`,
      ),
    );
  const value = (option: string) => {
    try {
      return config.get(HEALTH_SECTION, option, { fallback: undefined })
        ?.trim();
    } catch (problem) {
      if (!(problem instanceof ConfigError)) throw problem;
      errors.push(problem);
      return undefined;
    }
  };
  for (const option of ownOptions(config, HEALTH_SECTION)) {
    if (!OPTIONS.includes(option)) {
      error(option, `unknown option (choose from ${OPTIONS.join(", ")})`);
    }
  }
  const address = value("address") ?? DEFAULT_HEALTH_ADDRESS;
  if (address === "") error("address", "is empty");
  const portText = value("port");
  let port: number | undefined;
  if (portText === undefined) {
    if (!config.has(HEALTH_SECTION, "port")) {
      errors.push(errorAt(
        config.sectionSource(HEALTH_SECTION),
        `[${HEALTH_SECTION}] needs port (0 picks a free one)`,
      ));
    }
  } else {
    port = /^\d+$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 0 && port <= 65535)) {
      error(
        "port",
        `must be an integer 0-65535 (0 picks a free port), not ${
          JSON.stringify(portText)
        }`,
      );
    }
  }
  if (errors.length > 0 || port === undefined) return { errors };
  return { spec: { address, port }, errors };
}
