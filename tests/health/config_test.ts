import assert from "node:assert/strict";
import { ConfigParser } from "../../src/config/config_parser.ts";
import { readHealthSpec } from "../../src/health/config.ts";

function read(text: string) {
  return readHealthSpec(new ConfigParser().readString(text, "app.conf"));
}

Deno.test("no [aio/health] section: no health server, no error", () => {
  assert.deepEqual(read("[aio]\nmodules =\n"), { errors: [] });
});

Deno.test("[aio/health] takes port and address, address defaulting to 127.0.0.1", () => {
  assert.deepEqual(read("[aio/health]\nport = 9100\n").spec, {
    address: "127.0.0.1",
    port: 9100,
  });
  assert.deepEqual(
    read(
      "[aio/health]\naddress = 0.0.0.0\nport = ${DEFAULT:p}\n[DEFAULT]\np = 0\n",
    )
      .spec,
    { address: "0.0.0.0", port: 0 },
  );
});

Deno.test("every problem in [aio/health] is reported with its file and line", () => {
  const messages = (text: string) =>
    read(text).errors.map((error) => error.message);
  assert.deepEqual(messages("[aio/health]\naddress = ::1\n"), [
    "app.conf:1: [aio/health] needs port (0 picks a free one)",
  ]);
  assert.deepEqual(
    messages("[aio/health]\nport = 70000\naddress =\nprot = 1\n"),
    [
      "app.conf:4: [aio/health] prot: unknown option (choose from port, address)",
      "app.conf:3: [aio/health] address: is empty",
      'app.conf:2: [aio/health] port: must be an integer 0-65535 (0 picks a free port), not "70000"',
    ],
  );
  assert.deepEqual(messages("[aio/health]\nport = ${nowhere}\n").length, 1);
  assert.match(
    messages("[aio/health]\nport = ${nowhere}\n")[0],
    /^app\.conf:2: /,
  );
});

Deno.test("DEFAULT's options are not taken for unknown [aio/health] options", () => {
  const { spec, errors } = read(
    "[DEFAULT]\nbase = /srv\n[aio/health]\nport = 1\n",
  );
  assert.deepEqual(errors, []);
  assert.equal(spec?.port, 1);
});
