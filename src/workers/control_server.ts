/**
 * The supervisor's control socket: a unix socket in a directory of its own
 * (mode 0700, so only this user can reach it). Each worker connects and
 * says hello with the secret it was given; a connection that does not is
 * closed.
 *
 * @module
 */

import { AioError } from "../errors.ts";
import { Channel } from "./channel.ts";
import type { SupervisorMessage, WorkerMessage } from "./messages.ts";

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
  /** The socket's path (workers are told it). */
  readonly path: string;
  readonly #dir: string;
  readonly #listener: Deno.Listener;
  #closed = false;

  private constructor(dir: string, listener: Deno.Listener) {
    this.#dir = dir;
    this.path = `${dir}/control`;
    this.#listener = listener;
  }

  /** Creates the directory and listens; throws an {@linkcode AioError} saying what to grant when it cannot. */
  static async open(): Promise<ControlServer> {
    let dir: string;
    try {
      dir = await Deno.makeTempDir({ prefix: "aio-workers-" });
    } catch (error) {
      throw new AioError(
        `workers need a private directory for their control socket, and the temporary directory cannot be written (${
          error instanceof Error ? error.message : String(error)
        }); grant --allow-read and --allow-write on it`,
        { cause: error },
      );
    }
    const listener = Deno.listen({ transport: "unix", path: `${dir}/control` });
    return new ControlServer(dir, listener);
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

  /** Stops listening and removes the directory. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#listener.close();
    } catch {
      // Closed already.
    }
    try {
      Deno.removeSync(this.#dir, { recursive: true });
    } catch {
      // Gone already.
    }
  }

  async #greet(conn: Deno.Conn): Promise<HelloedChannel | undefined> {
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
