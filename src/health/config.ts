/**
 * Reading `[aio/health]`: `port` (required) and `address` (default
 * 127.0.0.1), every problem reported with its file and line.
 *
 * @module
 */

import type { ConfigParser } from "../config/config_parser.ts";
import type { Problems } from "../config/problems.ts";
import { SectionReader } from "../config/section_reader.ts";

/** The section that turns the health server on. */
export const HEALTH_SECTION = "aio/health";
/** Where the health server listens when `address` is not given: this host only. */
export const DEFAULT_HEALTH_ADDRESS = "127.0.0.1";
/** The options `[aio/health]` may hold. */
export const HEALTH_OPTIONS: readonly string[] = ["port", "address"];

/** A checked `[aio/health]` section. */
export interface HealthSpec {
  /** The address to listen on. */
  address: string;
  /** The port (0 picks a free one). */
  port: number;
  /**
   * False: keep the metrics but serve nothing (a worker process: its
   * supervisor serves the one health server, with every worker's metrics).
   */
  serve?: boolean;
}

/**
 * Reads `[aio/health]`, reporting each problem to `problems`. No section
 * means no health server: undefined, and nothing reported.
 *
 * @returns The spec when the section is there and sound.
 *
 * @example
 * ```ts
 * import { ConfigParser } from "../config/config_parser.ts";
 * import { Problems } from "../config/problems.ts";
 * import { readHealthSpec } from "./config.ts";
 * const config = new ConfigParser().readString("[aio/health]\nport = 9100\n", "app.conf");
 * console.log(readHealthSpec(config, new Problems())); // { address: "127.0.0.1", port: 9100 }
 * ```
 */
export function readHealthSpec(
  config: ConfigParser,
  problems: Problems,
): HealthSpec | undefined {
  if (!config.has(HEALTH_SECTION)) return undefined;
  const before = problems.errors.length;
  const reader = new SectionReader(config, HEALTH_SECTION, problems, {
    known: HEALTH_OPTIONS,
  });
  reader.checkUnknown();
  const address = reader.has("address")
    ? reader.required("address", "an address to listen on")
    : DEFAULT_HEALTH_ADDRESS;
  let port: number | undefined;
  if (reader.has("port")) {
    port = reader.integer("port", {
      min: 0,
      max: 65535,
      what: "an integer 0-65535 (0 picks a free port)",
    });
  } else {
    reader.sectionError("needs port (0 picks a free one)");
  }
  if (problems.errors.length > before || !address || port === undefined) {
    return undefined;
  }
  return { address, port };
}
