import assert from "node:assert/strict";
import { ConfigParser } from "../../src/config/config_parser.ts";
import { Problems } from "../../src/config/problems.ts";
import { readHealthSpec } from "../../src/health/config.ts";

function read(text: string) {
  const problems = new Problems();
  const spec = readHealthSpec(
    new ConfigParser().readString(text, "app.conf"),
    problems,
  );
  return {
    spec,
    errors: problems.errors.map((error) => error.message),
    warnings: problems.warnings.map((warning) => warning.message),
  };
}

Deno.test("no [aio/health] section: no health server, nothing reported", () => {
  assert.deepEqual(read("[aio]\nmodules =\n"), {
    spec: undefined,
    errors: [],
    warnings: [],
  });
});

Deno.test("[aio/health] takes port and address, address defaulting to 127.0.0.1", () => {
  assert.deepEqual(read("[aio/health]\nport = 9100\n").spec, {
    address: "127.0.0.1",
    port: 9100,
  });
  assert.deepEqual(
    read(
      "[DEFAULT]\np = 0\n[aio/health]\naddress = 0.0.0.0\nport = ${DEFAULT:p}\n",
    ).spec,
    { address: "0.0.0.0", port: 0 },
  );
});

Deno.test("every problem in [aio/health] is reported in the one shape, with its file and line", () => {
  assert.deepEqual(read("[aio/health]\naddress = ::1\n").errors, [
    "app.conf:1: [aio/health] needs port (0 picks a free one)",
  ]);
  const { spec, errors } = read(
    "[aio/health]\nport = 70000\naddress =\n",
  );
  assert.equal(spec, undefined);
  assert.deepEqual(errors, [
    "app.conf:3: [aio/health] address: is empty; it should be an address to listen on",
    'app.conf:2: [aio/health] port: must be an integer 0-65535 (0 picks a free port), not "70000"',
  ]);
  // A slip of an option not set itself is an error: the server would not listen where meant.
  assert.deepEqual(read("[aio/health]\nport = 1\nadress = 0.0.0.0\n").errors, [
    "app.conf:3: [aio/health] adress: unknown option; did you mean 'address'?",
  ]);
  for (const bad of ["9100.5", "-1", "x", "${nowhere}"]) {
    const { errors } = read(`[aio/health]\nport = ${bad}\n`);
    assert.equal(errors.length, 1, bad);
    assert.match(errors[0], /^app\.conf:2: /, bad);
  }
});

Deno.test("an option nothing like port or address is a warning, not an error", () => {
  const { spec, errors, warnings } = read(
    "[aio/health]\nport = 1\nlabels = web\n",
  );
  assert.deepEqual(spec, { address: "127.0.0.1", port: 1 });
  assert.deepEqual(errors, []);
  assert.deepEqual(warnings, [
    "app.conf:3: [aio/health] labels: unknown option (aio does not read it; a module may)",
  ]);
});

Deno.test("DEFAULT's options are not taken for unknown [aio/health] options", () => {
  const { spec, errors, warnings } = read(
    "[DEFAULT]\nbase = /srv\n[aio/health]\nport = 1\n",
  );
  assert.deepEqual([errors, warnings], [[], []]);
  assert.equal(spec?.port, 1);
});
