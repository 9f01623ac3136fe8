/**
 * Where and how a server listens: the options every server kind shares,
 * and {@linkcode bindOptionsOf}, the one place a `[server/NAME]` section
 * becomes them.
 *
 * @module
 */

import type { ServerSpec } from "./config.ts";

/** The address, port or socket, and TLS material of a server. */
export interface BindOptions {
  /** The server's name, for log messages; default `"server"`. */
  name?: string;
  /** The address to listen on; default all interfaces (`0.0.0.0`). */
  hostname?: string;
  /** The port; 0 picks a free one. Not used with `path`. */
  port?: number;
  /** Listen on this unix socket instead of a port. */
  path?: string;
  /** The TLS certificate chain, PEM text (not a file name). */
  cert?: string;
  /** The TLS private key, PEM text (not a file name). */
  key?: string;
  /**
   * Sets `SO_REUSEPORT`, so several processes can listen on one port and
   * the kernel spreads connections among them. tcp, tls and http need
   * `--unstable-net` (without it the server refuses to start); udp sets
   * `SO_REUSEADDR` only, so a second process can bind but the last one
   * bound gets every datagram; unix sockets ignore it.
   */
  reusePort?: boolean;
}

/** A section's bind options: every field of {@linkcode BindOptions} but the name, as the section gives them. */
export interface SpecBindOptions extends BindOptions {
  /** The section's `address` (`0.0.0.0` unless given). */
  hostname: string;
  /** The section's `reuse_port`. */
  reusePort: boolean;
}

/** The bind options a checked `[server/NAME]` section asks for. */
export function bindOptionsOf(spec: ServerSpec): SpecBindOptions {
  return {
    hostname: spec.address,
    port: spec.port,
    path: spec.path,
    cert: spec.cert,
    key: spec.key,
    reusePort: spec.reusePort,
  };
}
