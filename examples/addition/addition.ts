/**
 * The seed's addition server: send `2 + 2 + 3` and a newline, get `7` and
 * a newline back. One line, one answer; the connection stays open for
 * more. A last line without a newline is answered when the client closes
 * its writing side. A line that is not a sum of integers gets
 * `error: ...`.
 *
 * Run it by protocol (`protocol = ./addition.ts#AdditionProtocol`) or by
 * factory (`factory = ./addition.ts#additionServerFactory`), as
 * `examples/addition/aio.conf` does both.
 *
 * @module
 */

import {
  createServer,
  type ProtocolClass,
  type ProtocolServer,
  type Transport,
} from "../../mod.ts";

const decoder = new TextDecoder();

/**
 * Adds the integers of a line such as `2 + 2 + 3`.
 *
 * @example
 * ```ts
 * import { add } from "./addition.ts";
 * console.log(add("2 + 2 + 3")); // 7
 * ```
 */
export function add(line: string): number {
  const terms = line.split("+").map((term) => term.trim());
  if (terms.some((term) => !/^-?\d+$/.test(term))) {
    throw new Error(`cannot add ${JSON.stringify(line.trim())}`);
  }
  return terms.reduce((sum, term) => sum + Number(term), 0);
}

/** The addition protocol: one instance per connection. */
export class AdditionProtocol {
  #transport?: Transport;
  #pending = "";

  /** Keeps the transport to answer on. */
  connectionMade(transport: Transport): void {
    this.#transport = transport;
  }

  /** Answers every complete line; keeps a partial one for later. */
  dataReceived(data: Uint8Array): void {
    const text = this.#pending + decoder.decode(data, { stream: true });
    const lines = text.split("\n");
    this.#pending = lines.pop()!;
    for (const line of lines) this.#answer(line);
  }

  /** Answers a last line that had no newline, then lets the transport close. */
  eofReceived(): void {
    const rest = this.#pending + decoder.decode();
    this.#pending = "";
    if (rest.trim()) this.#answer(rest);
  }

  #answer(line: string): void {
    if (!line.trim()) return;
    let reply: string;
    try {
      reply = `${add(line)}\n`;
    } catch (error) {
      reply = `error: ${(error as Error).message}\n`;
    }
    this.#transport!.write(reply);
  }
}

/**
 * The seed's factory: `[server/NAME] factory = ./addition.ts#additionServerFactory`.
 * It starts {@linkcode AdditionProtocol} (or the section's own `protocol`)
 * with aio's {@linkcode createServer}.
 */
export function additionServerFactory(
  name: string,
  protocol: ProtocolClass | undefined,
  address: string,
  port: number,
): Promise<ProtocolServer> {
  return createServer(protocol ?? AdditionProtocol, {
    name,
    hostname: address,
    port,
  });
}
