import assert from "node:assert/strict";
import dgram from "node:dgram";
import { Buffer } from "node:buffer";
import { listenUdp } from "../../src/server/udp.ts";
import { createServer } from "../../src/server/factory.ts";
import { UdpEcho } from "../fixtures/servers/protocols.ts";

/** Sends `text` from a fresh client socket and resolves to the first reply. */
async function ask(port: number, text: string): Promise<string> {
  const client = dgram.createSocket("udp4");
  try {
    const reply = new Promise<string>((resolve) =>
      client.once("message", (message: Buffer) => resolve(message.toString()))
    );
    client.send(Buffer.from(text), port, "127.0.0.1");
    return await reply;
  } finally {
    await new Promise<void>((resolve) => client.close(() => resolve()));
  }
}

Deno.test("udp: echo server sends each datagram back to its sender", async () => {
  const server = await listenUdp(UdpEcho, { hostname: "127.0.0.1", port: 0 });
  try {
    assert.equal(server.addr.transport, "udp");
    assert.notEqual(server.addr.port, 0);
    assert.equal(await ask(server.addr.port, "ping"), "ping");
    assert.equal(await ask(server.addr.port, "pong"), "pong");
  } finally {
    await server.close();
  }
});

Deno.test("udp: createServer with transport udp, a throwing callback keeps the endpoint", async () => {
  let lost = 0;
  let boomed!: () => void;
  const threw = new Promise<void>((resolve) => boomed = resolve);
  class Picky extends UdpEcho {
    override datagramReceived(data: Uint8Array, addr: Deno.NetAddr) {
      if (new TextDecoder().decode(data) === "boom") {
        boomed();
        throw new Error("picky");
      }
      super.datagramReceived(data, addr);
    }
    connectionLost() {
      lost++;
    }
  }
  const server = await createServer(Picky, {
    transport: "udp",
    hostname: "127.0.0.1",
    port: 0,
  });
  const port = (server.addr as Deno.NetAddr).port;
  const client = dgram.createSocket("udp4");
  try {
    client.send(Buffer.from("boom"), port, "127.0.0.1");
    await threw;
    assert.equal(await ask(port, "after"), "after");
  } finally {
    await new Promise<void>((resolve) => client.close(() => resolve()));
    await server.close();
  }
  assert.equal(lost, 1);
});

Deno.test("udp: closing frees the port, a port in use rejects", async () => {
  const first = await listenUdp(UdpEcho, { hostname: "127.0.0.1", port: 0 });
  const port = first.addr.port;
  await assert.rejects(
    listenUdp(UdpEcho, { hostname: "127.0.0.1", port }),
    /EADDRINUSE|in use/i,
  );
  await first.close();
  const again = await listenUdp(UdpEcho, { hostname: "127.0.0.1", port });
  try {
    assert.equal(await ask(port, "again"), "again");
  } finally {
    await again.close();
  }
});
