import { deepEqual } from "node:assert/strict";
import { Channel } from "../../src/workers/channel.ts";
import { parseCheckErrors } from "../../src/workers/check.ts";

async function pair(): Promise<
  { a: Deno.Conn; b: Deno.Conn; done: () => Promise<void> }
> {
  const dir = await Deno.makeTempDir();
  const listener = Deno.listen({ transport: "unix", path: `${dir}/s` });
  const [a, b] = await Promise.all([
    Deno.connect({ transport: "unix", path: `${dir}/s` }),
    listener.accept(),
  ]);
  listener.close();
  return { a, b, done: () => Deno.remove(dir, { recursive: true }) };
}

Deno.test("a channel carries messages whole, however the bytes are split, until the peer closes", async () => {
  const { a, b, done } = await pair();
  const reader = new Channel<{ n: number; text: string }, never>(b);
  const big = "x\n".repeat(100_000);
  const raw = new TextEncoder().encode(
    `${JSON.stringify({ n: 1, text: "a" })}\n${
      JSON.stringify({ n: 2, text: big })
    }\n`,
  );
  const got: { n: number; text: string }[] = [];
  const reading = (async () => {
    for await (const message of reader.messages()) got.push(message);
  })();
  // Written in small pieces, a line split across reads.
  for (let offset = 0; offset < raw.length; offset += 7000) {
    await a.write(raw.subarray(offset, offset + 7000));
  }
  const writer = new Channel<never, { n: number; text: string }>(a);
  await writer.send({ n: 3, text: "é" });
  writer.close();
  await reading;
  deepEqual(got.map((m) => m.n), [1, 2, 3]);
  deepEqual(got[1].text, big);
  deepEqual(got[2].text, "é");
  await done();
});

Deno.test("a line that is not JSON ends the channel", async () => {
  const { a, b, done } = await pair();
  const reader = new Channel<unknown, never>(b);
  await a.write(new TextEncoder().encode('{"ok":1}\nnot json\n{"ok":2}\n'));
  const got = [];
  for await (const message of reader.messages()) got.push(message);
  deepEqual(got, [{ ok: 1 }]);
  a.close();
  await done();
});

Deno.test("a check's stderr gives its errors as a reload outcome holds them, warnings left out", () => {
  deepEqual(
    parseCheckErrors(
      "aio: read app.conf\naio: warning: app.conf:9: [aio] x: unknown option\n" +
        "aio: config error: app.conf:3: [aio] workers: bad\naio: error: Cannot start\n",
    ),
    ["app.conf:3: [aio] workers: bad", "error: Cannot start"],
  );
});
