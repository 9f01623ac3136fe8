import assert from "node:assert/strict";
import { ConfigParser } from "../../src/config/config_parser.ts";
import type { ConfigError } from "../../src/config/errors.ts";
import { readServerSpec } from "../../src/server/config.ts";
import { Problems } from "../../src/config/problems.ts";
import { TLS } from "./_helpers.ts";

const FILE = "/srv/app/aio.conf";

function check(text: string, section = "server/x", file = FILE) {
  const config = new ConfigParser().readString(text, file);
  const problems = new Problems();
  const spec = readServerSpec(config, section, problems);
  return { spec, errors: problems.errors, warnings: problems.warnings };
}

/** The errors as `file:line: detail` strings. */
function errorsOf(text: string): string[] {
  const { spec, errors } = check(text);
  assert.equal(spec, undefined, "a spec came back despite errors");
  return errors.map((error: ConfigError) => error.message);
}

Deno.test("config: a protocol section gets its defaults", () => {
  const { spec, errors } = check(
    "[server/x]\nprotocol = ./app.ts#Add\nport = 8080\n",
  );
  assert.deepEqual(errors, []);
  assert.equal(spec?.name, "x");
  assert.equal(spec?.transport, "tcp");
  assert.equal(spec?.address, "0.0.0.0");
  assert.equal(spec?.port, 8080);
  assert.equal(spec?.reusePort, false);
  assert.deepEqual(spec?.protocol, {
    option: "protocol",
    value: "./app.ts#Add",
    source: { file: FILE, line: 2 },
  });
});

Deno.test("config: path means unix, handler means http, handler with cert means https", () => {
  const unix = check("[server/x]\nprotocol = ./a.ts\npath = /tmp/a.sock\n");
  assert.equal(unix.spec?.transport, "unix");
  assert.equal(unix.spec?.port, undefined);
  const http = check(
    "[server/x]\nhandler = ./a.ts#h\nport = 0\nreuse_port = yes\n",
  );
  assert.equal(http.spec?.transport, "http");
  assert.equal(http.spec?.reusePort, true);
  const https = check(
    `[server/x]\nhandler = ./a.ts#h\nport = 0\ncert = ${TLS.certPath}\nkey = ${TLS.keyPath}\n`,
  );
  assert.deepEqual(https.errors, []);
  assert.equal(https.spec?.transport, "https");
  assert.equal(https.spec?.cert, TLS.cert);
  assert.equal(https.spec?.key, TLS.key);
});

Deno.test("config: relative cert and key resolve against the config file", () => {
  const { spec, errors } = check(
    "[server/x]\nprotocol = ./a.ts\nport = 0\ntransport = tls\ncert = ../fixtures/tls/cert.pem\nkey = ../fixtures/tls/key.pem\n",
    "server/x",
    new URL("./aio.conf", import.meta.url).pathname,
  );
  assert.deepEqual(errors, []);
  assert.equal(spec?.cert, TLS.cert);
});

Deno.test("config: none of protocol, factory or handler is an error at the section header", () => {
  assert.deepEqual(errorsOf("\n[server/x]\nport = 1\n"), [
    `${FILE}:2: [server/x] needs one of protocol, factory or handler (SPECIFIER#EXPORT)`,
  ]);
});

Deno.test("config: a bad port is an error at its line", () => {
  for (const port of ["abc", "70000", "-1", "80.5", "65536"]) {
    const [message, ...rest] = errorsOf(
      `[server/x]\nprotocol = ./a.ts\nport = ${port}\n`,
    );
    assert.deepEqual(rest, []);
    assert.equal(
      message,
      `${FILE}:3: [server/x] port: must be an integer 0-65535 (0 picks a free port), not "${port}"`,
    );
  }
});

Deno.test("config: a missing port (without path) is an error at the section header", () => {
  assert.deepEqual(errorsOf("[server/x]\nprotocol = ./a.ts\n"), [
    `${FILE}:1: [server/x] needs port (or path, for a unix socket)`,
  ]);
});

Deno.test("config: transport problems name the transport or path line", () => {
  assert.deepEqual(
    errorsOf("[server/x]\nprotocol = ./a.ts\nport = 1\ntransport = sctp\n"),
    [
      `${FILE}:4: [server/x] transport: unknown transport "sctp" (choose from tcp, udp, unix, tls, http)`,
    ],
  );
  assert.deepEqual(
    errorsOf("[server/x]\nprotocol = ./a.ts\ntransport = udp\npath = /tmp/s\n"),
    [`${FILE}:4: [server/x] path: path is only for transport = unix, not udp`],
  );
  assert.deepEqual(
    errorsOf("[server/x]\nprotocol = ./a.ts\ntransport = unix\nport = 1\n"),
    [`${FILE}:3: [server/x] transport: transport = unix needs path`],
  );
  assert.deepEqual(
    errorsOf("[server/x]\nprotocol = ./a.ts\ntransport = http\nport = 1\n"),
    [`${FILE}:3: [server/x] transport: transport = http needs handler`],
  );
  assert.deepEqual(
    errorsOf("[server/x]\nprotocol = ./a.ts\ntransport = tls\nport = 1\n"),
    [`${FILE}:3: [server/x] transport: transport = tls needs cert and key`],
  );
});

Deno.test("config: cert and key problems name their line", () => {
  const missing = errorsOf(
    "[server/x]\nhandler = ./a.ts#h\nport = 1\ncert = /nonexistent/cert.pem\nkey = /nonexistent/key.pem\n",
  );
  assert.equal(missing.length, 2);
  assert.match(
    missing[0],
    /^\/srv\/app\/aio\.conf:4: \[server\/x\] cert: cannot read "\/nonexistent\/cert\.pem": /,
  );
  assert.match(
    missing[1],
    /^\/srv\/app\/aio\.conf:5: \[server\/x\] key: cannot read /,
  );
  assert.deepEqual(
    errorsOf(
      `[server/x]\nhandler = ./a.ts#h\nport = 1\ncert = ${TLS.certPath}\n`,
    ),
    [`${FILE}:4: [server/x] cert: cert needs key as well`],
  );
  assert.deepEqual(
    errorsOf(
      `[server/x]\nprotocol = ./a.ts\nport = 1\ncert = ${TLS.certPath}\nkey = ${TLS.keyPath}\n`,
    ),
    [`${FILE}:4: [server/x] cert: cert and key are for transport = tls or a handler, not tcp`],
  );
});

Deno.test("config: handler with protocol, a bad reuse_port, an empty reference", () => {
  assert.deepEqual(
    errorsOf("[server/x]\nprotocol = ./a.ts\nhandler = ./a.ts#h\nport = 1\n"),
    [
      `${FILE}:3: [server/x] handler: cannot be combined with protocol or factory (a handler serves http)`,
    ],
  );
  assert.deepEqual(
    errorsOf("[server/x]\nprotocol = ./a.ts\nport = 1\nreuse_port = maybe\n"),
    [
      `${FILE}:4: [server/x] reuse_port: must be a boolean (yes/no, true/false, on/off, 1/0), not "maybe"`,
    ],
  );
  assert.deepEqual(
    errorsOf("[server/x]\nfactory =\nport = 1\n"),
    [`${FILE}:2: [server/x] factory: is empty; it should name SPECIFIER#EXPORT`],
  );
});

Deno.test("config: every problem of a section is reported at once", () => {
  const messages = errorsOf(
    "[server/x]\nport = nope\ntransport = carrier-pigeon\nreuse_port = 2\n",
  );
  assert.deepEqual(messages.map((message) => message.split(": ")[0]), [
    `${FILE}:1`,
    `${FILE}:3`,
    `${FILE}:2`,
    `${FILE}:4`,
  ]);
});

Deno.test("config: a slip of a known option is an error with a suggestion; other unknown options are warnings", () => {
  const { spec, errors, warnings } = check(
    "[DEFAULT]\nshared = 1\n[server/x]\nprotocol = ./a.ts\nport = 0\nadress = 127.0.0.1\nmy_limit = 5\n",
  );
  assert.equal(spec, undefined);
  assert.deepEqual(errors.map((e) => e.message), [
    `${FILE}:6: [server/x] adress: unknown option; did you mean 'address'?`,
  ]);
  assert.deepEqual(warnings.map((e) => e.message), [
    `${FILE}:7: [server/x] my_limit: unknown option (aio does not read it; a module may)`,
  ]);
});

Deno.test("config: a slip of an option that is set itself is only a warning", () => {
  const { spec, errors, warnings } = check(
    "[server/x]\nprotocol = ./a.ts\nport = 0\naddress = 127.0.0.1\nadress = ::1\n",
  );
  assert.equal(spec?.address, "127.0.0.1");
  assert.deepEqual(errors, []);
  assert.equal(warnings.length, 1);
});

Deno.test("config: idle_timeout and max_connections are read for connection servers and factories", () => {
  const tcp = check(
    "[server/x]\nprotocol = ./a.ts\nport = 0\nidle_timeout = 2.5\nmax_connections = 100\n",
  );
  assert.deepEqual(tcp.errors, []);
  assert.equal(tcp.spec?.idleTimeoutMs, 2500);
  assert.equal(tcp.spec?.maxConnections, 100);
  const unix = check(
    "[server/x]\nprotocol = ./a.ts\npath = /tmp/a.sock\nidle_timeout = 1\n",
  );
  assert.equal(unix.spec?.idleTimeoutMs, 1000);
  const factory = check(
    "[server/x]\nfactory = ./a.ts#f\ntransport = udp\nport = 0\nmax_connections = 3\n",
  );
  assert.deepEqual(factory.errors, []);
  assert.equal(factory.spec?.maxConnections, 3);
  const plain = check("[server/x]\nprotocol = ./a.ts\nport = 0\n");
  assert.equal("idleTimeoutMs" in plain.spec!, false);
  assert.equal("maxConnections" in plain.spec!, false);
});

Deno.test("config: bad idle_timeout and max_connections values name their line", () => {
  const line = (option: string, value: string) =>
    errorsOf(`[server/x]\nprotocol = ./a.ts\nport = 0\n${option} = ${value}\n`);
  for (const value of ["0", "1e-9", "-1", "soon", "nan", "inf", "1e9"]) {
    assert.deepEqual(line("idle_timeout", value), [
      `${FILE}:4: [server/x] idle_timeout: must be a number of seconds from 0.001 to 31536000, not ${
        JSON.stringify(value)
      }`,
    ]);
  }
  for (const value of ["0", "-3", "2.5", "many", "99999999999999999999"]) {
    assert.deepEqual(line("max_connections", value), [
      `${FILE}:4: [server/x] max_connections: must be a whole number from 1 to 2147483647, not ${
        JSON.stringify(value)
      }`,
    ]);
  }
});

Deno.test("config: idle_timeout and max_connections are errors where aio cannot enforce them", () => {
  assert.deepEqual(
    errorsOf(
      "[server/x]\nhandler = ./a.ts#h\nport = 0\nidle_timeout = 5\nmax_connections = 10\n",
    ),
    [
      `${FILE}:4: [server/x] idle_timeout: is not supported for HTTP servers (Deno.serve offers no per-connection limits)`,
      `${FILE}:5: [server/x] max_connections: is not supported for HTTP servers (Deno.serve offers no per-connection limits)`,
    ],
  );
  assert.deepEqual(
    errorsOf(
      "[server/x]\nprotocol = ./a.ts\ntransport = udp\nport = 0\nidle_timeout = 5\n",
    ),
    [
      `${FILE}:5: [server/x] idle_timeout: applies to connections (tcp, unix, tls), not transport = udp`,
    ],
  );
});
