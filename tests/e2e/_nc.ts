// A stand-in for `nc -q1 HOST PORT` where netcat is not installed: sends
// stdin to HOST:PORT over TCP, closes its writing side, prints the answer.
const [hostname, port] = Deno.args.filter((arg) => !arg.startsWith("-"))
  .slice(-2);
const conn = await Deno.connect({ hostname, port: Number(port) });
const input = new Uint8Array(
  await new Response(Deno.stdin.readable).arrayBuffer(),
);
for (let sent = 0; sent < input.length;) {
  sent += await conn.write(input.subarray(sent));
}
await conn.closeWrite();
await conn.readable.pipeTo(Deno.stdout.writable, { preventClose: true });
