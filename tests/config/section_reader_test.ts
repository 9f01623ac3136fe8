// The shared section reader: typed getters that collect, one message shape,
// and unknown options (slips are errors, the rest warnings).
import { deepEqual, equal } from "node:assert/strict";
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

Deno.test("number: bounds, integers and Python's float syntax, every problem in one shape", () => {
  const { reader: r, problems } = reader(
    "[s]\na = 1_000.5\nb = -1\nc = 2.5\nd = nan\ne = ${missing}\n",
  );
  equal(r.number("a", { min: 0, what: "n" }), 1000.5);
  equal(r.number("b", { min: 0, what: "a number, 0 or more" }), undefined);
  equal(r.number("c", { integer: true, what: "an integer" }), undefined);
  equal(r.number("d", { what: "a number" }), undefined);
  equal(r.number("e", { what: "a number" }), undefined);
  equal(r.number("absent", { what: "a number" }), undefined);
  deepEqual(problems.errors.map((e) => e.message), [
    'app.conf:3: [s] b: must be a number, 0 or more, not "-1"',
    'app.conf:4: [s] c: must be an integer, not "2.5"',
    'app.conf:5: [s] d: must be a number, not "nan"',
    problems.errors[3].message,
  ]);
  equal(problems.errors[3].line, 6);
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
