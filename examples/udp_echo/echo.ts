/**
 * A UDP echo: every datagram goes back to its sender.
 *
 * @module
 */

import type { DatagramTransport } from "../../mod.ts";

/** Sends each datagram back where it came from. */
export class UdpEcho {
  #transport?: DatagramTransport;

  /** Keeps the endpoint's transport. */
  connectionMade(transport: DatagramTransport): void {
    this.#transport = transport;
  }

  /** Echoes `data` to `addr`. */
  datagramReceived(data: Uint8Array, addr: Deno.NetAddr): void {
    this.#transport!.sendTo(data, addr);
  }
}
