/**
 * The supervisor's control socket: TCP on 127.0.0.1, a port the kernel
 * picks. Each worker connects and says hello first with the secret it was
 * given (a random UUID, in its environment only); a connection that does
 * not within 10 s is closed, so another local process can reach nothing.
 * (A unix socket would need `--allow-net=unix:PATH` for its exact path,
 * which `aio permissions` cannot name in advance; `--allow-net=127.0.0.1`
 * covers this one.)
 *
 * @module
 */

import { AioError } from "../errors.ts";
import { Channel } from "./channel.ts";
import type { SupervisorMessage, WorkerMessage } from "./messages.ts";

/** Where the control socket listens: this host only. */
export const CONTROL_HOST = "127.0.0.1";
/** How long a connection may take to say hello (ms). */
const HELLO_TIMEOUT_MS = 10_000;

/** A channel from a worker that said hello, with the token it presented. */
export interface HelloedChannel {
  /** The token from the hello. */
  token: string;
  /** The channel; the hello is consumed, the rest is in `messages`. */
  channel: Channel<WorkerMessage, SupervisorMessage>;
  /** The messages after the hello. */
  messages: AsyncGenerator<WorkerMessage>;
}

/** The listening control socket. */
export class ControlServer {
  /** The port on 127.0.0.1 (workers are told it). */
  readonly port: number;
  readonly #listener: Deno.Listener;
  #closed = false;

  private constructor(listener: Deno.Listener) {
    this.#listener = listener;
    this.port = (listener.addr as Deno.NetAddr).port;
  }

  /** Listens; throws an {@linkcode AioError} saying what to grant when it cannot. */
  static open(): ControlServer {
    try {
      return new ControlServer(
        Deno.listen({ hostname: CONTROL_HOST, port: 0 }),
      );
    } catch (error) {
      throw new AioError(
        `workers need a control socket on ${CONTROL_HOST} (grant --allow-net=${CONTROL_HOST}): ${
          error instanceof Error ? error.message : String(error)
        }`,
        { cause: error },
      );
    }
  }

  /** Calls `onHello` for each connection that says hello, until closed. */
  async serve(onHello: (hello: HelloedChannel) => void): Promise<void> {
    while (!this.#closed) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch {
        if (this.#closed) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      this.#greet(conn).then((hello) => hello && onHello(hello));
    }
  }

  /** Stops listening. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#listener.close();
    } catch {
      // Closed already.
    }
  }

  async #greet(conn: Deno.Conn): Promise<HelloedChannel | undefined> {
    (conn as Deno.TcpConn).setNoDelay?.(true);
    const channel = new Channel<WorkerMessage, SupervisorMessage>(conn);
    const messages = channel.messages();
    const timer = setTimeout(() => channel.close(), HELLO_TIMEOUT_MS);
    const first = await messages.next().catch(() => undefined);
    clearTimeout(timer);
    const hello = first?.done ? undefined : first?.value;
    if (hello?.type !== "hello" || typeof hello.token !== "string") {
      channel.close();
      return undefined;
    }
    return { token: hello.token, channel, messages };
  }
}
