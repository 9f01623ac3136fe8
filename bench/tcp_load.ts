/**
 * A TCP ping-pong load generator: `connections` clients each send a
 * `size`-byte message, wait for the whole echo, and repeat for `seconds`.
 * Prints the round trips per second.
 *
 *   deno run -A bench/tcp_load.ts PORT [connections=50] [seconds=5] [size=64]
 */

const [port, connections = "50", seconds = "5", size = "64"] = Deno.args;

async function client(deadline: number, message: Uint8Array): Promise<number> {
  const conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: Number(port),
  });
  conn.setNoDelay(true);
  const buffer = new Uint8Array(message.length);
  let trips = 0;
  try {
    while (performance.now() < deadline) {
      let offset = 0;
      while (offset < message.length) {
        offset += await conn.write(message.subarray(offset));
      }
      let got = 0;
      while (got < message.length) {
        const count = await conn.read(buffer.subarray(got));
        if (count === null) throw new Error("Server closed the connection");
        got += count;
      }
      trips++;
    }
  } finally {
    conn.close();
  }
  return trips;
}

if (import.meta.main) {
  const message = new Uint8Array(Number(size)).fill(120);
  const started = performance.now();
  const deadline = started + Number(seconds) * 1000;
  const trips = await Promise.all(
    Array.from(
      { length: Number(connections) },
      () => client(deadline, message),
    ),
  );
  const elapsed = (performance.now() - started) / 1000;
  const total = trips.reduce((sum, n) => sum + n, 0);
  console.log(Math.round(total / elapsed));
}
