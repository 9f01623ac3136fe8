// The /proc-based helpers a worker uses to hand its HTTP port over: leave
// the port (shutdown(SHUT_RD) on the listener) and count the connections it
// still holds there. They need Linux and -A, which the tests have.
import { equal, ok, rejects } from "node:assert/strict";
import {
  openConnections,
  shutdownListeningSocket,
} from "../../src/server/_listen_socket.ts";

Deno.test("openConnections counts this process's accepted connections on a port, not its listener, and 0 once they close", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  try {
    equal(openConnections([port]), 0);
    const client = await Deno.connect({ hostname: "127.0.0.1", port });
    const accepted = await listener.accept();
    // The client's end is this process's too: its local port differs.
    equal(openConnections([port]), 1);
    accepted.close();
    client.close();
    equal(openConnections([port]), 0);
  } finally {
    listener.close();
  }
});

Deno.test("shutdownListeningSocket takes a listener out of its port: connections are refused, and its accept ends", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  try {
    ok(shutdownListeningSocket("127.0.0.1", port));
    await rejects(
      Deno.connect({ hostname: "127.0.0.1", port }),
      Deno.errors.ConnectionRefused,
    );
    await rejects(listener.accept());
    equal(shutdownListeningSocket("127.0.0.1", port), false);
  } finally {
    listener.close();
  }
});
