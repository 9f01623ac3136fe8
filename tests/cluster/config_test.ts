import assert from "node:assert/strict";
import { ConfigParser } from "../../src/config/config_parser.ts";
import {
  clusterPermissions,
  readClusterSpec as readSpec,
  redactUrl,
} from "../../src/cluster/config.ts";
import { Problems } from "../../src/config/problems.ts";

const FILE = "/srv/app/aio.conf";
const TLS_CERT = new URL("../fixtures/tls/cert.pem", import.meta.url).pathname;

function parse(text: string): ConfigParser {
  return new ConfigParser().readString(text, FILE);
}

/** The spec and the messages of the errors and warnings. */
function readClusterSpec(config: ConfigParser) {
  const problems = new Problems();
  const spec = readSpec(config, problems);
  return {
    spec,
    errors: problems.errors,
    warnings: problems.warnings.map((warning) => warning.message),
  };
}

function errorsOf(text: string): string[] {
  const { spec, errors } = readClusterSpec(parse(text));
  assert.equal(spec, undefined, "a spec came back despite errors");
  return errors.map((error) => error.message);
}

Deno.test("config: no [aio/cluster] means no spec and no errors", () => {
  assert.deepEqual(readClusterSpec(parse("[aio]\nx = 1\n")), {
    spec: undefined,
    errors: [],
    warnings: [],
  });
});

Deno.test("config: a minimal section gets its defaults", () => {
  const { spec, errors } = readClusterSpec(
    parse("[aio/cluster]\nurl = nats://127.0.0.1:4222\n"),
  );
  assert.deepEqual(errors, []);
  assert.deepEqual(spec, {
    urls: ["nats://127.0.0.1:4222"],
    name: "aio",
    signals: [],
    connect: "required",
    user: undefined,
    password: undefined,
    token: undefined,
    creds: undefined,
    tlsCa: undefined,
    tls: false,
    source: { file: FILE, line: 1 },
  });
});

Deno.test("config: every option, several URLs and patterns, one per line", () => {
  const { spec, errors } = readClusterSpec(parse(`[aio/cluster]
url =
    nats://10.0.0.1:4222
    nats://10.0.0.2
name = shop
signals =
    order-*
    stock.[!x]?
connect = Background
user = app
password = s3cret
tls_ca = ${TLS_CERT}
`));
  assert.deepEqual(errors, []);
  assert.deepEqual(spec?.urls, ["nats://10.0.0.1:4222", "nats://10.0.0.2"]);
  assert.equal(spec?.name, "shop");
  assert.deepEqual(spec?.signals, ["order-*", "stock.[!x]?"]);
  assert.equal(spec?.connect, "background");
  assert.equal(spec?.user, "app");
  assert.equal(spec?.password, "s3cret");
  assert.match(spec?.tlsCa ?? "", /-----BEGIN CERTIFICATE-----/);
  assert.equal(spec?.tls, true);
});

Deno.test("config: a tls:// URL asks for TLS without a CA", () => {
  const { spec } = readClusterSpec(
    parse("[aio/cluster]\nurl = tls://nats.example.com:4222\ntoken = abc\n"),
  );
  assert.equal(spec?.tls, true);
  assert.equal(spec?.tlsCa, undefined);
  assert.equal(spec?.token, "abc");
});

Deno.test("config: every problem is reported at once, each at its line", () => {
  const errors = errorsOf(`[aio/cluster]
url =
    http://127.0.0.1:4222
    nats://127.0.0.1:4222/path
    not a url
name = a.b
signals =
    order-*
    stock-[
connect = maybe
user = app
token = t
creds = /nonexistent/app.creds
`);
  assert.deepEqual(errors, [
    `${FILE}:2: [aio/cluster] url: "http://127.0.0.1:4222" is not a NATS URL (write nats://HOST[:PORT] or tls://HOST[:PORT])`,
    `${FILE}:2: [aio/cluster] url: "nats://127.0.0.1:4222/path" has a path or query; a NATS URL is nats://HOST[:PORT] or tls://HOST[:PORT]`,
    `${FILE}:2: [aio/cluster] url: "not a url" is not a URL (write nats://HOST[:PORT] or tls://HOST[:PORT])`,
    `${FILE}:6: [aio/cluster] name: must be 1 to 64 letters, digits, - or _ (it prefixes the NATS subjects and the KV bucket), not "a.b"`,
    `${FILE}:7: [aio/cluster] signals: unclosed [ in "stock-[" (write [[] for a literal [)`,
    `${FILE}:10: [aio/cluster] connect: must be one of required, background, not "maybe"`,
    `${FILE}:13: [aio/cluster] creds: cannot read "/nonexistent/app.creds": No such file or directory (os error 2): readfile '/nonexistent/app.creds'`,
    `${FILE}:11: [aio/cluster] user: needs password as well`,
    `${FILE}:12: [aio/cluster] token: cannot be combined with user and password`,
    `${FILE}:13: [aio/cluster] creds: cannot be combined with user, password or token (the creds file holds the identity)`,
  ]);
});

Deno.test("config: url is required, and must not be empty", () => {
  assert.deepEqual(errorsOf("[aio/cluster]\nname = shop\n"), [
    `${FILE}:1: [aio/cluster] needs url (one or more NATS server URLs, one per line)`,
  ]);
  assert.deepEqual(errorsOf("[aio/cluster]\nurl =\n"), [
    `${FILE}:2: [aio/cluster] url: is empty; give one or more nats://HOST:PORT URLs, one per line`,
  ]);
});

Deno.test("config: a password never shows in a message", () => {
  const errors = errorsOf(
    "[aio/cluster]\nurl = http://me:hunter2@host:4222\npassword = x\n",
  );
  assert.equal(errors.length, 2);
  assert.ok(
    errors.every((error) => !error.includes("hunter2")),
    errors.join("\n"),
  );
  assert.equal(
    redactUrl("nats://me:hunter2@host:4222"),
    "nats://me:***@host:4222",
  );
  assert.equal(redactUrl("nats://host:4222"), "nats://host:4222");
});

Deno.test("config: creds and tls_ca must be the right kind of file, relative to the config", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const conf = `${dir}/aio.conf`;
    await Deno.writeTextFile(`${dir}/app.creds`, "not creds");
    await Deno.writeTextFile(`${dir}/ca.pem`, "not pem");
    const text =
      "[aio/cluster]\nurl = nats://h\ncreds = app.creds\ntls_ca = ca.pem\n";
    const { errors } = readClusterSpec(
      new ConfigParser().readString(text, conf),
    );
    assert.deepEqual(errors.map((error) => error.message), [
      `${conf}:3: [aio/cluster] creds: "${dir}/app.creds" is not a NATS credentials file (no user JWT in it)`,
      `${conf}:4: [aio/cluster] tls_ca: "${dir}/ca.pem" is not a PEM file`,
    ]);
    await Deno.writeTextFile(
      `${dir}/app.creds`,
      "-----BEGIN NATS USER JWT-----\neyJ0\n------END NATS USER JWT------\n",
    );
    const good = readClusterSpec(
      new ConfigParser().readString(
        "[aio/cluster]\nurl = nats://h\ncreds = app.creds\n",
        conf,
      ),
    );
    assert.deepEqual(good.errors, []);
    assert.match(good.spec?.creds ?? "", /NATS USER JWT/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("config: options inherited from DEFAULT are not unknown options", () => {
  const { errors } = readClusterSpec(
    parse("[DEFAULT]\nroot = /srv\n[aio/cluster]\nurl = nats://h:4222\n"),
  );
  assert.deepEqual(errors, []);
});

Deno.test("config: an unknown option is a warning, a slip of a known one an error", () => {
  const { spec, errors, warnings } = readClusterSpec(
    parse("[aio/cluster]\nurl = nats://h\nretries = 3\n"),
  );
  assert.deepEqual(errors, []);
  assert.equal(spec?.urls[0], "nats://h");
  assert.deepEqual(warnings, [
    `${FILE}:3: [aio/cluster] retries: unknown option (aio does not read it; a module may)`,
  ]);
  assert.deepEqual(
    errorsOf("[aio/cluster]\nurl = nats://h\nsignal = order-*\n"),
    [
      `${FILE}:3: [aio/cluster] signal: unknown option; did you mean 'signals'?`,
    ],
  );
});

Deno.test("config: clusterPermissions names each NATS host:port and the files", () => {
  const config = parse(`[aio/cluster]
url =
    nats://10.0.0.1:4223
    tls://nats.example.com
    nats://[::1]:4222
    not a url
creds = keys/app.creds
tls_ca = /etc/ssl/nats-ca.pem
`);
  assert.deepEqual(clusterPermissions(config), {
    net: ["10.0.0.1:4223", "nats.example.com:4222", "[::1]:4222"],
    read: ["/srv/app/keys/app.creds", "/etc/ssl/nats-ca.pem"],
  });
  assert.deepEqual(clusterPermissions(parse("[aio]\n")), {
    net: [],
    read: [],
  });
});
