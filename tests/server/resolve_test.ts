import assert from "node:assert/strict";
import { ConfigParser } from "../../src/config/config_parser.ts";
import { Problems } from "../../src/config/problems.ts";
import { ModuleLoader, type RefLocation } from "../../src/refs.ts";
import { resolveServers } from "../../src/server/mod.ts";
import { fixture, isRefused } from "./_helpers.ts";

const FILE = "/srv/app/aio.conf";
const PROTOCOLS = fixture("protocols.ts");

function parse(text: string): ConfigParser {
  return new ConfigParser().readString(text, FILE);
}

/** A real loader that counts the references it is asked for. */
class CountingLoader extends ModuleLoader {
  readonly loads: string[] = [];
  override load(value: string, location: RefLocation, kind?: never) {
    this.loads.push(`${location.section} ${location.option}`);
    return super.load(value, location, kind);
  }
}

Deno.test("resolve: every reference is loaded once, and nothing is bound", async () => {
  const holder = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = holder.addr.port;
  holder.close();
  const protocols = await import(PROTOCOLS);
  const loader = new CountingLoader();
  const problems = new Problems();
  const resolved = await resolveServers(
    parse(`
[server/echo]
protocol = ${PROTOCOLS}#Echo
address = 127.0.0.1
port = ${port}

[server/http]
handler = ${PROTOCOLS}#hello
address = 127.0.0.1
port = ${port}

[server/made]
factory = ${PROTOCOLS}#echoFactory
protocol = ${PROTOCOLS}#Echo
address = 127.0.0.1
port = ${port}
`),
    loader,
    problems,
  );
  assert.deepEqual(problems.errors, []);
  assert.deepEqual(resolved.map((item) => item.spec.name), [
    "echo",
    "http",
    "made",
  ]);
  assert.equal(resolved[0].protocol, protocols.Echo);
  assert.equal(resolved[1].handler, protocols.hello);
  assert.equal(resolved[2].factory, protocols.echoFactory);
  assert.equal(resolved[2].protocol, protocols.Echo);
  assert.deepEqual(loader.loads.sort(), [
    "server/echo protocol",
    "server/http handler",
    "server/made factory",
    "server/made protocol",
  ]);
  assert.equal(await isRefused(port), true);
});

Deno.test("resolve: every problem of every section is reported, good sections still resolve", async () => {
  const problems = new Problems();
  const resolved = await resolveServers(
    parse(`[server/a]
port = 1

[server/b]
protocol = ${PROTOCOLS}#Echo
port = many

[server/c]
protocol = ${PROTOCOLS}#NoSuchExport
port = 0

[server/d]
handler = ${PROTOCOLS}#hello
port = 0
colour = blue
`),
    new ModuleLoader(),
    problems,
  );
  assert.deepEqual(resolved.map((item) => item.spec.name), ["d"]);
  assert.deepEqual(problems.errors.map((error) => error.line), [1, 6, 9]);
  assert.match(problems.errors[0].message, /\[server\/a\] needs one of/);
  assert.match(problems.errors[2].message, /NoSuchExport/);
  assert.equal(problems.warnings.length, 1);
  assert.match(problems.warnings[0].message, /\[server\/d\] colour: unknown/);
});
