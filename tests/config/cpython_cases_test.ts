/**
 * Cases ported from CPython 3.11's Lib/test/test_configparser.py, for the one
 * dialect aio speaks: `ConfigParser(interpolation=ExtendedInterpolation())`,
 * strict, `=`/`:` delimiters, `#`/`;` full-line comments, no inline comments,
 * empty lines kept in values, `DEFAULT` as the default section.
 *
 * Ported (adapted to that dialect where the CPython class differs, each
 * noted at the test):
 * - BasicTestCase: test_basic (+ basic_test), test_case_sensitivity,
 *   test_default_case_sensitivity, test_parse_errors, test_query_errors,
 *   test_boolean, test_weird_errors, test_invalid_multiline_value,
 *   test_read_returns_file_list (as `read` of cfgparser.1).
 * - ConfigParserTestCase: test_interpolation, test_interpolation_missing_value,
 *   test_items, test_set_malformatted_interpolation, test_add_section_default
 *   (all with `${...}` in place of `%(...)s`).
 * - ConfigParserTestCaseExtendedInterpolation: test_extended_interpolation,
 *   test_endless_loop, test_strange_options, test_case_sensitivity_basic,
 *   test_case_sensitivity_conflicts (its first half), test_other_errors.
 * - ExceptionContextTestCase: test_get_extended_interpolation.
 * - CoverageOneHundredTestCase: the error classes' line numbers.
 * - getint/getfloat: Python's int()/float() rules, values checked against
 *   CPython 3.11 by hand.
 *
 * Skipped, and why:
 * - Other dialects: RawConfigParser*, ConfigParserTestCaseNoValue,
 *   *NonStandardDelimiters, *NonStandardDefaultSection, MultilineValuesTestCase
 *   (empty_lines_in_values=False), RawConfigParserTestSambaConf,
 *   ConfigParserTestCaseTrickyFile (allow_no_value; cfgparser.3 is used
 *   below for the default dialect's ParsingError instead), SortedTestCase,
 *   CompatibleTestCase and InlineCommentStrippingTestCase (inline comments),
 *   ConfigParserTestCaseLegacyInterpolation, *NoInterpolation.
 * - APIs aio does not have: the mapping protocol (SectionProxy, `cf[...]`,
 *   popitem, clear, setitem), `vars=`, `defaults=` in the constructor,
 *   read_dict, write, remove_option/remove_section, custom optionxform,
 *   converters (ConvertersTestCase, BlatantOverrideConvertersTestCase),
 *   non-string set() values (TypeScript types rule them out), readfp and
 *   SafeConfigParser deprecations, exception pickling, repr, ReadFileTestCase
 *   (file objects, bytes).
 */

import assert from "node:assert/strict";
import { throwsKind } from "./_throws.ts";
import {
  ConfigParser,
  parsePythonFloat,
  parsePythonInt,
} from "../../src/config/config_parser.ts";

const FIXTURES = new URL("../fixtures/configparser/", import.meta.url);

function fromString(text: string): ConfigParser {
  return new ConfigParser({ env: () => undefined }).readString(text);
}

/** Removes the common indentation, as textwrap.dedent does. */
function dedent(text: string): string {
  const lines = text.split("\n");
  const indents = lines.filter((line) => line.trim()).map((line) =>
    line.length - line.trimStart().length
  );
  const cut = Math.min(...indents);
  return lines.map((line) => line.slice(cut)).join("\n");
}

// BasicTestCase.test_basic with the default dialect: `;` and `#` after a
// value are not comments here, so those two values keep them.
const BASIC = `[Foo Bar]
foo=bar1
[Spacey Bar]
foo = bar2
[Spacey Bar From The Beginning]
  foo = bar3
  baz = qwe
[Commented Bar]
foo: bar4 ; comment
baz=qwe #another one
[Long Line]
foo: this line is much, much longer than my editor
   likes it.
[Section\\with$weird%characters[\t]
[Internationalized Stuff]
foo[bg]: Bulgarian
foo=Default
foo[en]=English
foo[de]=Deutsch
[Spaces]
key with spaces : value
another with spaces = splat!
[Types]
int : 42
float = 0.44
boolean = NO
123 : strange but acceptable
[This One Has A ] In It]
  forks = spoons
`;

Deno.test("BasicTestCase.test_basic: sections, values and getters", () => {
  const cf = fromString(BASIC);
  assert.deepEqual(cf.sections().sort(), [
    "Commented Bar",
    "Foo Bar",
    "Internationalized Stuff",
    "Long Line",
    "Section\\with$weird%characters[\t",
    "Spaces",
    "Spacey Bar",
    "Spacey Bar From The Beginning",
    "This One Has A ] In It",
    "Types",
  ]);
  assert.deepEqual(cf.items("Spacey Bar From The Beginning").sort(), [
    ["baz", "qwe"],
    ["foo", "bar3"],
  ]);
  assert.deepEqual(cf.defaults(), {});
  assert.equal(cf.get("Foo Bar", "foo"), "bar1");
  assert.equal(cf.get("Spacey Bar", "foo"), "bar2");
  assert.equal(cf.get("Spacey Bar From The Beginning", "foo"), "bar3");
  assert.equal(cf.get("Spacey Bar From The Beginning", "baz"), "qwe");
  assert.equal(cf.get("Commented Bar", "foo"), "bar4 ; comment");
  assert.equal(cf.get("Commented Bar", "baz"), "qwe #another one");
  assert.equal(cf.get("Spaces", "key with spaces"), "value");
  assert.equal(cf.get("Spaces", "another with spaces"), "splat!");
  assert.equal(cf.getInt("Types", "int"), 42);
  assert.equal(cf.get("Types", "int"), "42");
  assert.ok(Math.abs(cf.getFloat("Types", "float") - 0.44) < 1e-7);
  assert.equal(cf.get("Types", "float"), "0.44");
  assert.equal(cf.getBoolean("Types", "boolean"), false);
  assert.equal(cf.get("Types", "123"), "strange but acceptable");
  assert.equal(cf.get("This One Has A ] In It", "forks"), "spoons");
  assert.equal(
    cf.get("Long Line", "foo"),
    "this line is much, much longer than my editor\nlikes it.",
  );
  assert.deepEqual(cf.options("Internationalized Stuff"), [
    "foo[bg]",
    "foo",
    "foo[en]",
    "foo[de]",
  ]);
  // fallback=
  assert.equal(cf.get("Foo Bar", "foo", { fallback: "baz" }), "bar1");
  throwsKind(() => cf.get("No Such Foo Bar", "foo"), "NoSectionError");
  throwsKind(() => cf.get("Foo Bar", "no-such-foo"), "NoOptionError");
  assert.equal(cf.get("No Such Foo Bar", "foo", { fallback: "baz" }), "baz");
  assert.equal(cf.get("Foo Bar", "no-such-foo", { fallback: "baz" }), "baz");
  assert.equal(cf.get("Spacey Bar", "foo", { fallback: null }), "bar2");
  assert.equal(cf.get("No Such Spacey Bar", "foo", { fallback: null }), null);
  assert.equal(cf.getInt("Types", "int", { fallback: 18 }), 42);
  assert.equal(cf.getInt("Types", "no-such-int", { fallback: 18 }), 18);
  throwsKind(() => cf.getInt("Types", "no-such-int"), "NoOptionError");
  assert.ok(
    Math.abs(cf.getFloat("Types", "float", { fallback: 0 }) - 0.44) < 1e-7,
  );
  assert.equal(cf.getFloat("Types", "no-such-float", { fallback: 0 }), 0);
  throwsKind(() => cf.getFloat("Types", "no-such-float"), "NoOptionError");
  assert.equal(cf.getBoolean("Types", "boolean", { fallback: true }), false);
  assert.equal(
    cf.getBoolean("Types", "no-such-boolean", { fallback: true }),
    true,
  );
  throwsKind(() => cf.getBoolean("Types", "no-such-boolean"), "NoOptionError");
  assert.equal(
    cf.getBoolean("No Such Types", "boolean", { fallback: true }),
    true,
  );
});

Deno.test("BasicTestCase.test_basic: strict duplicates in a later read", () => {
  const cf = fromString(BASIC);
  throwsKind(
    () =>
      cf.readString(
        "[Duplicate Options Here]\noption = with a value\noption : with another value\n",
      ),
    "DuplicateOptionError",
    3,
  );
  throwsKind(
    () =>
      cf.readString(
        "[And Now For Something]\ncompletely different = True\n[And Now For Something]\nthe larch : 1\n",
      ),
    "DuplicateSectionError",
    3,
  );
});

Deno.test("BasicTestCase.test_case_sensitivity", () => {
  const cf = new ConfigParser();
  cf.addSection("A").addSection("a").addSection("B");
  assert.deepEqual(cf.sections().sort(), ["A", "B", "a"]);
  cf.set("a", "B", "value");
  assert.deepEqual(cf.options("a"), ["b"]);
  assert.equal(cf.get("a", "b"), "value");
  throwsKind(() => cf.set("b", "A", "value"), "NoSectionError");
  assert.ok(cf.has("a", "b"));
  assert.ok(!cf.has("b", "b"));
  cf.set("A", "A-B", "A-B value");
  for (const option of ["a-b", "A-b", "a-B", "A-B"]) {
    assert.ok(cf.has("A", option), option);
  }
  assert.deepEqual(cf.options("A"), ["a-b"]);
  assert.deepEqual(cf.options("a"), ["b"]);

  // SF bug #432369
  const multi = fromString(
    "[MySection]\nOption= first line   \n\tsecond line   \n",
  );
  assert.deepEqual(multi.options("MySection"), ["option"]);
  assert.equal(multi.get("MySection", "Option"), "first line\nsecond line");

  // SF bug #561822, with the default given in the text
  const defaults = fromString(
    "[DEFAULT]\nkey = value\n[section]\nnekey=nevalue\n",
  );
  assert.ok(defaults.has("section", "Key"));
});

Deno.test("BasicTestCase.test_default_case_sensitivity", () => {
  assert.equal(
    fromString("[DEFAULT]\nfoo = Bar\n").get("DEFAULT", "Foo"),
    "Bar",
  );
  assert.equal(
    fromString("[DEFAULT]\nFoo = Bar\n").get("DEFAULT", "Foo"),
    "Bar",
  );
});

Deno.test("BasicTestCase.test_parse_errors", async () => {
  throwsKind(
    () => fromString("[Foo]\n=val-without-opt-name\n"),
    "ParsingError",
    2,
  );
  throwsKind(
    () => fromString("[Foo]\n:val-without-opt-name\n"),
    "ParsingError",
    2,
  );
  const missing = throwsKind(
    () => fromString("No Section!\n"),
    "MissingSectionHeaderError",
    1,
  );
  assert.equal(missing.source, "<string>");
  throwsKind(() => fromString("[Foo]\n  wrong-indent\n"), "ParsingError", 2);
  // cfgparser.3 with `=` as the first delimiter: a ParsingError, first at
  // line 37 (`  yet another # None!`), as CPython reports it.
  const tricky = new URL("cfgparser.3", FIXTURES).pathname;
  const error = throwsKind(
    () => new ConfigParser().read(tricky),
    "ParsingError",
    37,
  );
  assert.equal(error.source, tricky);
  assert.match(
    await Deno.readTextFile(tricky),
    /yet another # None!/,
  );
});

Deno.test("BasicTestCase.test_query_errors", () => {
  const cf = new ConfigParser();
  assert.deepEqual(cf.sections(), []);
  assert.ok(!cf.has("Foo"));
  throwsKind(() => cf.options("Foo"), "NoSectionError");
  throwsKind(() => cf.set("foo", "bar", "value"), "NoSectionError");
  throwsKind(() => cf.get("foo", "bar"), "NoSectionError");
  cf.addSection("foo");
  throwsKind(() => cf.get("foo", "bar"), "NoOptionError");
});

Deno.test("BasicTestCase.test_boolean", () => {
  const cf = fromString(
    "[BOOLTEST]\nT1=1\nT2=TRUE\nT3=True\nT4=oN\nT5=yes\n" +
      "F1=0\nF2=FALSE\nF3=False\nF4=oFF\nF5=nO\n" +
      "E1=2\nE2=foo\nE3=-1\nE4=0.1\nE5=FALSE AND MORE",
  );
  for (let x = 1; x <= 5; x++) {
    assert.equal(cf.getBoolean("BOOLTEST", `t${x}`), true);
    assert.equal(cf.getBoolean("BOOLTEST", `f${x}`), false);
    throwsKind(() => cf.getBoolean("BOOLTEST", `e${x}`), "Invalid");
  }
});

Deno.test("BasicTestCase.test_weird_errors", () => {
  const cf = new ConfigParser();
  cf.addSection("Foo");
  const duplicate = throwsKind(
    () => cf.addSection("Foo"),
    "DuplicateSectionError",
  );
  assert.equal(duplicate.detail, "Section 'Foo' already exists");
  const strict = throwsKind(
    () =>
      cf.readString(
        dedent(`\
          [Foo]
          will this be added=True
          [Bar]
          what about this=True
          [Foo]
          oops=this won't
        `),
        "<foo-bar>",
      ),
    "DuplicateSectionError",
    5,
  );
  assert.equal(strict.source, "<foo-bar>");
});

Deno.test("BasicTestCase.test_invalid_multiline_value: values read before the error stay", () => {
  const cf = new ConfigParser();
  throwsKind(
    () => cf.readString("[DEFAULT]\ntest = test\ninvalid"),
    "ParsingError",
    3,
  );
  assert.equal(cf.get("DEFAULT", "test"), "test");
});

Deno.test("BasicTestCase.test_read_returns_file_list: read() of cfgparser.1", () => {
  const path = new URL("cfgparser.1", FIXTURES).pathname;
  const cf = new ConfigParser().read(path);
  assert.deepEqual(cf.files, [path]);
  assert.equal(cf.get("Foo Bar", "foo"), "newbar");
});

// ConfigParserTestCase.get_interpolation_config in `${...}` syntax.
const INTERPOLATION = "[Foo]\n" +
  "bar=something ${with1} interpolation (1 step)\n" +
  "bar9=something ${with9} lots of interpolation (9 steps)\n" +
  "bar10=something ${with10} lots of interpolation (10 steps)\n" +
  "bar11=something ${with11} lots of interpolation (11 steps)\n" +
  "with11=${with10}\n" +
  "with10=${with9}\n" +
  "with9=${with8}\n" +
  "with8=${With7}\n" +
  "with7=${WITH6}\n" +
  "with6=${with5}\n" +
  "With5=${with4}\n" +
  "WITH4=${with3}\n" +
  "with3=${with2}\n" +
  "with2=${with1}\n" +
  "with1=with\n" +
  "\n" +
  "[Mutual Recursion]\n" +
  "foo=${bar}\n" +
  "bar=${foo}\n" +
  "\n" +
  "[Interpolation Error]\n" +
  "name=${reference}\n";

Deno.test("ConfigParserTestCase.test_interpolation: depth 10 works, 11 does not", () => {
  const cf = fromString(INTERPOLATION);
  assert.equal(cf.get("Foo", "bar"), "something with interpolation (1 step)");
  assert.equal(
    cf.get("Foo", "bar9"),
    "something with lots of interpolation (9 steps)",
  );
  assert.equal(
    cf.get("Foo", "bar10"),
    "something with lots of interpolation (10 steps)",
  );
  const depth = throwsKind(
    () => cf.get("Foo", "bar11"),
    "InterpolationDepthError",
    5,
  );
  // As in CPython (args ('with2', 'Foo', '${with1}')), the message names
  // the option where the limit struck; the line is the one asked for.
  assert.match(depth.detail, /option 'with2' in section 'Foo'/);
  throwsKind(
    () => cf.get("Mutual Recursion", "foo"),
    "InterpolationDepthError",
    19,
  );
});

Deno.test("ConfigParserTestCase.test_interpolation_missing_value", () => {
  const cf = fromString(INTERPOLATION);
  const error = throwsKind(
    () => cf.get("Interpolation Error", "name"),
    "InterpolationMissingOptionError",
    23,
  );
  assert.match(error.detail, /'reference'/);
  assert.match(error.detail, /'Interpolation Error'/);
});

Deno.test("ConfigParserTestCase.test_items: DEFAULT first, then the section's own", () => {
  // check_items_config with the default in DEFAULT instead of defaults= and
  // `value` set as an option instead of vars=.
  const cf = fromString(dedent(`
    [DEFAULT]
    default = <default>
    [section]
    name = \${value}
    key: |\${name}|
    getdefault: |\${default}|
    value = value
  `));
  assert.deepEqual(cf.items("section"), [
    ["default", "<default>"],
    ["name", "value"],
    ["key", "|value|"],
    ["getdefault", "|<default>|"],
    ["value", "value"],
  ]);
  throwsKind(() => cf.items("no such section"), "NoSectionError");
});

Deno.test("ConfigParserTestCase.test_set_malformatted_interpolation", () => {
  const cf = fromString("[sect]\noption1=foo\n");
  assert.equal(cf.get("sect", "option1"), "foo");
  for (const bad of ["$foo", "foo$", "f$oo", "${foo", "$${foo}$"]) {
    throwsKind(
      () => cf.set("sect", "option1", bad),
      "InterpolationSyntaxError",
    );
  }
  assert.equal(cf.get("sect", "option1"), "foo");
  // Double dollars are not malformed (bug #5741).
  cf.set("sect", "option2", "foo$$bar");
  assert.equal(cf.get("sect", "option2"), "foo$bar");
});

Deno.test("ConfigParserTestCase.test_add_section_default", () => {
  const error = throwsKind(
    () => new ConfigParser().addSection("DEFAULT"),
    "Invalid",
  );
  assert.equal(error.detail, "Invalid section name: 'DEFAULT'");
});

Deno.test("ConfigParserTestCaseExtendedInterpolation.test_extended_interpolation", () => {
  // CPython's class sets default_section = 'common'; here DEFAULT plays it.
  const cf = fromString(
    dedent(`
    [DEFAULT]
    favourite Beatle = Paul
    favourite color = green

    [tom]
    favourite band = \${favourite color} day
    favourite pope = John \${favourite Beatle} II
    sequel = \${favourite pope}I

    [ambv]
    favourite Beatle = George
    son of Edward VII = \${favourite Beatle} V
    son of George V = \${son of Edward VII}I

    [stanley]
    favourite Beatle = \${ambv:favourite Beatle}
    favourite pope = \${tom:favourite pope}
    favourite color = black
    favourite state of mind = paranoid
    favourite movie = soylent \${DEFAULT:favourite color}
    favourite song = \${favourite color} sabbath - \${favourite state of mind}
  `).trim(),
  );
  const expected: [string, string, string][] = [
    ["DEFAULT", "favourite Beatle", "Paul"],
    ["DEFAULT", "favourite color", "green"],
    ["tom", "favourite Beatle", "Paul"],
    ["tom", "favourite color", "green"],
    ["tom", "favourite band", "green day"],
    ["tom", "favourite pope", "John Paul II"],
    ["tom", "sequel", "John Paul III"],
    ["ambv", "favourite Beatle", "George"],
    ["ambv", "favourite color", "green"],
    ["ambv", "son of Edward VII", "George V"],
    ["ambv", "son of George V", "George VI"],
    ["stanley", "favourite Beatle", "George"],
    ["stanley", "favourite color", "black"],
    ["stanley", "favourite state of mind", "paranoid"],
    ["stanley", "favourite movie", "soylent green"],
    ["stanley", "favourite pope", "John Paul II"],
    ["stanley", "favourite song", "black sabbath - paranoid"],
  ];
  for (const [section, option, value] of expected) {
    assert.equal(cf.get(section, option), value, `${section}:${option}`);
  }
});

Deno.test("ConfigParserTestCaseExtendedInterpolation.test_endless_loop", () => {
  const cf = fromString(
    dedent(`
    [one for you]
    ping = \${one for me:pong}

    [one for me]
    pong = \${one for you:ping}

    [selfish]
    me = \${me}
  `).trim(),
  );
  throwsKind(() => cf.get("one for you", "ping"), "InterpolationDepthError", 2);
  throwsKind(() => cf.get("selfish", "me"), "InterpolationDepthError", 8);
});

Deno.test("ConfigParserTestCaseExtendedInterpolation.test_strange_options", () => {
  const cf = fromString(`
            [dollars]
            $var = $$value
            $var2 = \${$var}
            \${sick} = cannot interpolate me

            [interpolated]
            $other = \${dollars:$var}
            $trying = \${dollars:\${sick}}
        `);
  assert.equal(cf.get("dollars", "$var"), "$value");
  assert.equal(cf.get("dollars", "$var2"), "$value");
  assert.equal(cf.get("interpolated", "$other"), "$value");
  assert.equal(cf.get("dollars", "${sick}"), "cannot interpolate me");
  const error = throwsKind(
    () => cf.get("interpolated", "$trying"),
    "InterpolationMissingOptionError",
    9,
  );
  // CPython's reference is 'dollars:${sick'.
  assert.match(error.detail, /'dollars:\$\{sick'/);
});

Deno.test("ConfigParserTestCaseExtendedInterpolation.test_case_sensitivity_basic", () => {
  const cf = fromString(
    dedent(`
    [DEFAULT]
    optionlower = value
    OptionUpper = Value

    [Common]
    optionlower = a better \${DEFAULT:optionlower}
    OptionUpper = A Better \${DEFAULT:OptionUpper}

    [random]
    foolower = \${DEFAULT:optionlower} redefined
    FooUpper = \${Common:OptionUpper} Redefined
  `).trim(),
  );
  assert.equal(cf.get("DEFAULT", "optionlower"), "value");
  assert.equal(cf.get("DEFAULT", "OptionUpper"), "Value");
  assert.equal(cf.get("Common", "optionlower"), "a better value");
  assert.equal(cf.get("Common", "OptionUpper"), "A Better Value");
  assert.equal(cf.get("random", "foolower"), "value redefined");
  assert.equal(cf.get("random", "FooUpper"), "A Better Value Redefined");
});

Deno.test("ConfigParserTestCaseExtendedInterpolation.test_case_sensitivity_conflicts", () => {
  const ini = dedent(`
    [common]
    option = value
    Option = Value

    [Common]
    option = a better \${common:option}
    Option = A Better \${common:Option}
  `).trim();
  throwsKind(() => fromString(ini), "DuplicateOptionError", 3);
});

Deno.test("ConfigParserTestCaseExtendedInterpolation.test_other_errors", () => {
  const cf = fromString(`
            [interpolation fail]
            case1 = \${where's the brace
            case2 = \${does_not_exist}
            case3 = \${wrong_section:wrong_value}
            case4 = \${i:like:colon:characters}
            case5 = $100 for Fail No 5!
        `);
  const section = "interpolation fail";
  throwsKind(() => cf.get(section, "case1"), "InterpolationSyntaxError", 3);
  throwsKind(
    () => cf.get(section, "case2"),
    "InterpolationMissingOptionError",
    4,
  );
  throwsKind(
    () => cf.get(section, "case3"),
    "InterpolationMissingOptionError",
    5,
  );
  throwsKind(() => cf.get(section, "case4"), "InterpolationSyntaxError", 6);
  throwsKind(() => cf.get(section, "case5"), "InterpolationSyntaxError", 7);
  throwsKind(
    () => cf.set(section, "case6", "BLACK $ABBATH"),
    "InterpolationSyntaxError",
  );
});

Deno.test("ExceptionContextTestCase.test_get_extended_interpolation", () => {
  const cf = fromString(`
        [Paths]
        home_dir: /Users
        my_dir: \${home_dir1}/lumberjack
        my_pictures: \${my_dir}/Pictures
        `);
  throwsKind(
    () => cf.get("Paths", "my_dir"),
    "InterpolationMissingOptionError",
    4,
  );
  throwsKind(
    () => cf.get("Paths", "my_pictures"),
    "InterpolationMissingOptionError",
    5,
  );
  throwsKind(() => cf.options("test"), "NoSectionError");
  throwsKind(
    () => new ConfigParser().set("Section1", "an_int", "15"),
    "NoSectionError",
  );
});

Deno.test("CoverageOneHundredTestCase: error line numbers", () => {
  throwsKind(
    () => fromString("[s]\nk = 1\n\n\nK = 2\n"),
    "DuplicateOptionError",
    5,
  );
  throwsKind(
    () => fromString("[s]\na\n[t]\nb\n"),
    "ParsingError",
    2,
  );
  throwsKind(
    () => fromString("\n\n# c\n  x = 1\n"),
    "MissingSectionHeaderError",
    4,
  );
});

// Python's int() and float() on these strings, checked against CPython 3.11
// (null: ValueError; strings: the special floats).
const NUMBERS: [string, number | null, number | string | null][] = [
  ["0", 0, 0],
  ["1", 1, 1],
  ["-1", -1, -1],
  ["+7", 7, 7],
  ["1_000", 1000, 1000],
  ["1__0", null, null],
  ["_1", null, null],
  ["1_", null, null],
  ["007", 7, 7],
  [" 42 ", 42, 42],
  ["4 2", null, null],
  ["0x10", null, null],
  ["1e3", null, 1000],
  ["1.5", null, 1.5],
  [".5", null, 0.5],
  ["5.", null, 5],
  ["1_0.5", null, 10.5],
  ["1._5", null, null],
  ["1e1_0", null, 1e10],
  ["inf", null, "inf"],
  ["-Infinity", null, "-inf"],
  ["nAn", null, "nan"],
  ["", null, null],
  ["++1", null, null],
  ["１２", 12, 12],
  ["٣.٥", null, 3.5],
  ["٣_٣", 33, 33],
  ["1e", null, null],
  ["e1", null, null],
  [".", null, null],
  ["0.44", null, 0.44],
  ["\x1c5", null, null],
  ["5\x1f", null, null],
  ["\x855\x85", 5, 5],
  ["\u30005", 5, 5],
  ["\ufeff5", null, null],
  [" \t\n\r\x0b\x0c5\x0c", 5, 5],
  ["5\x00", null, null],
];

Deno.test("getint/getfloat follow Python's int() and float()", () => {
  for (const [text, int, float] of NUMBERS) {
    assert.equal(
      parsePythonInt(text) ?? null,
      int,
      `int(${JSON.stringify(text)})`,
    );
    const expected = float === "inf"
      ? Infinity
      : float === "-inf"
      ? -Infinity
      : float === "nan"
      ? NaN
      : float;
    assert.deepEqual(
      parsePythonFloat(text) ?? null,
      expected,
      `float(${JSON.stringify(text)})`,
    );
  }
  const cf = fromString("[n]\na = 12\nb = 1.5\nc = x\n");
  assert.equal(cf.getInt("n", "a"), 12);
  assert.equal(cf.getFloat("n", "b"), 1.5);
  const bad = throwsKind(() => cf.getInt("n", "b"), "Invalid", 3);
  assert.match(
    bad.message,
    /^<string>:3: Option 'b' in section 'n' must be an integer/,
  );
  throwsKind(() => cf.getFloat("n", "c"), "Invalid", 4);
  // A bad value is an error even with a fallback, as in CPython.
  throwsKind(() => cf.getInt("n", "c", { fallback: 1 }), "Invalid", 4);
});
