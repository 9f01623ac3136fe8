/** The echo protocol that bench/tcp_server.ts starts through a `[server/echo]` section. */

import type { Transport } from "../src/server/transport.ts";

/** Writes every chunk back. */
export class Echo {
  #transport!: Transport;
  connectionMade(transport: Transport): void {
    this.#transport = transport;
  }
  dataReceived(data: Uint8Array): void {
    this.#transport.write(data);
  }
}
