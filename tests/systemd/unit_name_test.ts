// `aio unit --name`: NAME and NAME.service are the same unit (never
// `NAME.service.service`), and a name systemd would refuse, or that would
// not be a service's, is a usage error before anything is printed.
import assert from "node:assert/strict";
import { runCli } from "../e2e/_cli.ts";

async function withApp(test: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "aio_unit_name_" });
  try {
    await Deno.writeTextFile(`${dir}/aio.conf`, "[aio]\nlog_level = INFO\n");
    await test(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** `systemd-analyze verify` of `text` saved as `file`: its output, empty when all is well. */
async function verify(text: string, file: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "aio_unit_verify_" });
  try {
    await Deno.writeTextFile(`${dir}/${file}`, text);
    const { code, stdout, stderr } = await new Deno.Command("systemd-analyze", {
      args: ["verify", `${dir}/${file}`],
      stdin: "null",
    }).output();
    const decoder = new TextDecoder();
    const output = decoder.decode(stdout) + decoder.decode(stderr);
    return code === 0 ? output : `exit ${code}: ${output}`;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("aio unit --name takes NAME or NAME.service alike, and systemd accepts the unit", async () => {
  await withApp(async (dir) => {
    const [bare, suffixed, longest] = await Promise.all([
      runCli(["unit", "--name", "shop"], { cwd: dir }),
      runCli(["unit", "--name", "shop.service"], { cwd: dir }),
      runCli(["unit", "--name", "a".repeat(247) + ".service"], { cwd: dir }),
    ]);
    for (const result of [bare, suffixed, longest]) {
      assert.equal(result.code, 0, result.stderr);
    }
    assert.equal(suffixed.stdout, bare.stdout);
    assert.ok(!bare.stdout.includes(".service.service"), bare.stdout);
    assert.match(
      bare.stdout,
      /Save as \/etc\/systemd\/system\/shop\.service, then: .* enable --now shop$/m,
    );
    assert.match(bare.stdout, /^Description=aio app shop /m);
    // The longest name systemd takes: 255 characters with .service.
    assert.match(
      longest.stdout,
      new RegExp(`^Description=aio app a{247} `, "m"),
    );
    assert.equal(await verify(bare.stdout, "shop.service"), "");
  });
});

Deno.test("aio unit --name refuses a name systemd refuses, or another unit type's (exit 2, nothing printed)", async () => {
  await withApp(async (dir) => {
    const cases: [string, RegExp][] = [
      ["", /\(empty\)$/],
      [".service", /\(empty\)$/],
      ["a/b", /\(letters, digits and _ \. : - only\)$/],
      ["shop@blue", /\(letters, digits and _ \. : - only\)$/],
      ["-x", /\(it must not start with - or \.\)$/],
      [".hidden", /\(it must not start with - or \.\)$/],
      ["x.socket", /\(a \.socket unit's name: aio unit prints a service/],
      ["x.timer.service", /\(a \.timer unit's name/],
      [
        "a".repeat(248),
        /\(256 characters with \.service; systemd takes at most 255\)$/,
      ],
    ];
    const results = await Promise.all(
      cases.map(([name]) => runCli(["unit", "--name", name], { cwd: dir })),
    );
    results.forEach((result, index) => {
      const [name, why] = cases[index];
      assert.equal(result.code, 2, `${name}: ${result.stderr}`);
      assert.equal(result.stdout, "", name);
      const last = result.stderr.trimEnd().split("\n").at(-1)!;
      assert.ok(
        last.startsWith(`aio: error: unit: invalid name '${name}' (`),
        last,
      );
      assert.match(last, why, name);
    });
  });
});
