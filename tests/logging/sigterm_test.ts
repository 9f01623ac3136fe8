import assert from "node:assert/strict";
import { join } from "node:path";

const CHILD = new URL("./sigterm_child.ts", import.meta.url).pathname;

Deno.test("a FileHandler file has every line logged before a SIGTERM", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aio_logging_sigterm_" });
  try {
    const path = join(dir, "app.log");
    const count = 5000;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CHILD, path, String(count)],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    let said = "";
    while (!said.includes("ready\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      said += value;
    }
    assert.equal(said, "ready\n");
    child.kill("SIGTERM");
    await reader.cancel();
    const [status, stderr] = await Promise.all([
      child.status,
      new Response(child.stderr).text(),
    ]);
    assert.equal(stderr, "");
    assert.equal(status.code, 0);
    const lines = (await Deno.readTextFile(path)).split("\n");
    assert.equal(lines.pop(), "");
    assert.equal(lines.length, count + 1);
    for (let i = 0; i < count; i++) {
      assert.match(lines[i], new RegExp(` INFO\\(aio\\.child\\): Line ${i}$`));
    }
    assert.match(lines[count], / WARNING\(aio\.child\): Stopping on SIGTERM$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
