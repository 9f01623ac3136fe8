// The shared section reader: typed getters that collect, one message shape,
// and unknown options (slips are errors, the rest warnings).
import { deepEqual, equal, throws } from "node:assert/strict";
import { ConfigParser } from "../../src/config/config_parser.ts";
import { Problems } from "../../src/config/problems.ts";
import { SectionReader } from "../../src/config/section_reader.ts";
import { closest, editDistance } from "../../src/suggest.ts";

function reader(text: string, known?: string[]) {
  const config = new ConfigParser().readString(text, "app.conf");
  const problems = new Problems();
  return {
    reader: new SectionReader(config, "s", problems, { known }),
    problems,
  };
}

Deno.test("seconds: Python's float syntax, 1 ms to what a timer holds by default, every problem in one shape", () => {
  const { reader: r, problems } = reader(
    "[s]\na = 1_000.5\nb = -1\nc = 1e-9\nd = nan\ne = 2147484\nf = 0\ng = ${missing}\n",
  );
  equal(r.seconds("a"), 1000.5);
  equal(r.seconds("b", { min: 0 }), undefined);
  equal(r.seconds("c"), undefined);
  equal(r.seconds("d"), undefined);
  equal(r.seconds("e"), undefined);
  equal(r.seconds("f", { min: 0, max: 10 }), 0);
  equal(r.seconds("g"), undefined);
  equal(r.seconds("absent"), undefined);
  deepEqual(problems.errors.map((e) => e.message), [
    'app.conf:3: [s] b: must be a number of seconds from 0 to 2147483, not "-1"',
    'app.conf:4: [s] c: must be a number of seconds from 0.001 to 2147483, not "1e-9"',
    'app.conf:5: [s] d: must be a number of seconds from 0.001 to 2147483, not "nan"',
    'app.conf:6: [s] e: must be a number of seconds from 0.001 to 2147483, not "2147484"',
    "app.conf:8: [s] g: Bad value substitution: option 'g' in section 's' refers to 'missing', which is not defined",
  ]);
});

Deno.test("integer: Python's int syntax, a safe ceiling unless given", () => {
  const { reader: r, problems } = reader(
    "[s]\na = 1_000\nb = 2.5\nc = 99999999999999999999\nd = 70000\n",
  );
  equal(r.integer("a", { min: 1 }), 1000);
  equal(r.integer("b", { min: 1 }), undefined);
  equal(r.integer("c", { min: 1 }), undefined);
  equal(r.integer("d", { min: 0, max: 65535, what: "a port" }), undefined);
  deepEqual(problems.errors.map((e) => e.message), [
    'app.conf:3: [s] b: must be a whole number from 1 to 2147483647, not "2.5"',
    'app.conf:4: [s] c: must be a whole number from 1 to 2147483647, not "99999999999999999999"',
    'app.conf:5: [s] d: must be a port, not "70000"',
  ]);
});

Deno.test("string: a broken reference is reported at the value that holds it, as that option's", () => {
  const config = new ConfigParser().readString(
    "[DEFAULT]\nshared = ${nowhere}\n[aio]\nlog_level = ${nope}\n[s]\nlevel = ${aio:log_level}\ndeep = ${a}\na = ${b}\nb = $oops\n",
    "app.conf",
  );
  const problems = new Problems();
  const r = new SectionReader(config, "s", problems);
  equal(r.string("level"), undefined);
  equal(r.string("deep"), undefined);
  equal(r.string("shared"), undefined);
  deepEqual(problems.errors.map((e) => e.message), [
    "app.conf:4: [aio] log_level: Bad value substitution: option 'log_level' in section 'aio' refers to 'nope', which is not defined",
    `app.conf:9: [s] b: '$' must be followed by '$' or '{' in option 'b' of section 's', found: "$oops"`,
    "app.conf:2: [DEFAULT] shared: Bad value substitution: option 'shared' in section 's' refers to 'nowhere', which is not defined",
  ]);
  // ConfigParser.get keeps CPython's error, at the line of the value read.
  throws(
    () => config.get("s", "level"),
    {
      message:
        "app.conf:6: Bad value substitution: option 'log_level' in section 'aio' refers to 'nope', which is not defined",
    },
  );
});

Deno.test("Problems keeps one of the same error", () => {
  const config = new ConfigParser().readString(
    "[aio]\nx = ${nope}\n[a]\nv = ${aio:x}\n[b]\nv = ${aio:x}\n",
    "app.conf",
  );
  const problems = new Problems();
  new SectionReader(config, "a", problems).string("v");
  new SectionReader(config, "b", problems).string("v");
  equal(problems.errors.length, 1);
  equal(problems.errors[0].line, 2);
});

Deno.test("boolean, choice, list and required", () => {
  const { reader: r, problems } = reader(
    "[s]\nb = Yes\nc = SKIP\nl =\n  one\n\n  two\nbad = maybe\nempty =\n",
  );
  equal(r.boolean("b"), true);
  equal(r.boolean("bad", true), true);
  equal(r.choice("c", ["allow", "skip"] as const), "skip");
  deepEqual(r.list("l"), ["one", "two"]);
  equal(r.required("empty", "a path"), undefined);
  equal(r.required("nothing", "a path"), undefined);
  deepEqual(problems.errors.map((e) => e.message), [
    'app.conf:8: [s] bad: must be a boolean (yes/no, true/false, on/off, 1/0), not "maybe"',
    "app.conf:9: [s] empty: is empty; it should be a path",
    "app.conf:1: [s] needs nothing (a path)",
  ]);
});

Deno.test("checkUnknown: a slip of an unset known option is an error, other names warnings, DEFAULT's never", () => {
  const { reader: r, problems } = reader(
    "[DEFAULT]\nshared = 1\n[s]\nadress = x\nport = 1\nprot = 2\nmine = 3\n",
    ["address", "port"],
  );
  r.checkUnknown();
  deepEqual(problems.errors.map((e) => e.message), [
    "app.conf:4: [s] adress: unknown option; did you mean 'address'?",
  ]);
  deepEqual(problems.warnings.map((e) => e.message), [
    "app.conf:6: [s] prot: unknown option (aio does not read it; a module may)",
    "app.conf:7: [s] mine: unknown option (aio does not read it; a module may)",
  ]);
});

Deno.test("editDistance counts a swap of neighbours as one edit; closest wants a real slip", () => {
  equal(editDistance("conifg", "config"), 1);
  equal(editDistance("adress", "address"), 1);
  equal(editDistance("", "abc"), 3);
  equal(closest("conifg", ["run", "config", "check"]), "config");
  equal(closest("chekc", ["run", "config", "check"]), "check");
  equal(closest("xyz", ["run", "config"]), undefined);
  // Two letters are never a slip of another two-letter name.
  equal(closest("ab", ["cb"]), undefined);
  equal(closest("config", ["config"]), undefined);
});
