// A TCP proxy in front of nats-server, to cut one node off the cluster
// while the others stay connected (a network partition of one node).

/** A proxy on 127.0.0.1 that forwards to a port, and can cut the link. */
export interface Proxy {
  /** `nats://127.0.0.1:PORT` of the proxy. */
  readonly url: string;
  /** Closes every forwarded connection and refuses new ones. */
  cut(): void;
  /** Accepts and forwards again. */
  restore(): void;
  /**
   * While on, what the server sends is dropped (the client's messages
   * still reach the server): acknowledgements never arrive.
   */
  muteReplies(on: boolean): void;
  /** Stops the proxy. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts a proxy to `targetPort` on 127.0.0.1. */
export function startProxy(targetPort: number): Proxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const links = new Set<Deno.Conn>();
  let refusing = false;
  let muted = false;

  async function pump(
    from: Deno.Conn,
    to: Deno.Conn,
    drop: () => boolean,
  ): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const count = await from.read(buffer);
        if (count === null) break;
        if (drop()) continue;
        let offset = 0;
        while (offset < count) {
          offset += await to.write(buffer.subarray(offset, count));
        }
      }
    } catch {
      // One side closed.
    }
    close(from);
    close(to);
  }

  function close(conn: Deno.Conn): void {
    links.delete(conn);
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }

  const accepting = (async () => {
    for await (const client of listener) {
      if (refusing) {
        close(client);
        continue;
      }
      let server: Deno.Conn;
      try {
        server = await Deno.connect({
          hostname: "127.0.0.1",
          port: targetPort,
        });
      } catch {
        close(client);
        continue;
      }
      links.add(client);
      links.add(server);
      pump(client, server, () => false);
      pump(server, client, () => muted);
    }
  })().catch(() => {});

  return {
    url: `nats://127.0.0.1:${listener.addr.port}`,
    cut() {
      refusing = true;
      for (const conn of [...links]) close(conn);
    },
    restore() {
      refusing = false;
    },
    muteReplies(on) {
      muted = on;
    },
    async [Symbol.asyncDispose]() {
      refusing = true;
      listener.close();
      for (const conn of [...links]) close(conn);
      await accepting;
    },
  };
}
