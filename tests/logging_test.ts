import assert from "node:assert/strict";
import { configure } from "@logtape/logtape";
import { join } from "node:path";
import {
  configureLogging,
  flushLogging,
  getLogger,
  resetLogging,
  validateLogging,
} from "../src/logging.ts";
import { ConfigError } from "../src/config/errors.ts";
import { capture, conf, layered } from "./logging/_helpers.ts";

const DEFAULT_LINE =
  /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO\(aio\.mymodule\): Hello 42$/;

async function withTempDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "aio_logging_" });
  try {
    await fn(dir);
  } finally {
    await resetLogging();
    await Deno.remove(dir, { recursive: true });
  }
}

async function configured(
  text: string,
  fn: (
    out: ReturnType<typeof capture>,
    err: ReturnType<typeof capture>,
  ) => void | Promise<void>,
) {
  const stdout = capture();
  const stderr = capture();
  await configureLogging(layered(text), { stdout, stderr });
  try {
    await fn(stdout, stderr);
  } finally {
    await resetLogging();
  }
}

Deno.test("defaults: INFO to stderr in the seed's format", async () => {
  await configured("", (stdout, stderr) => {
    const logger = getLogger("aio.mymodule");
    logger.debug("Hidden");
    logger.info("Hello {n}", { n: 42 });
    assert.equal(stdout.text, "");
    assert.equal(stderr.lines.length, 1);
    assert.match(stderr.lines[0], DEFAULT_LINE);
  });
});

Deno.test("defaults: asctime is local time with milliseconds, as Python's", async () => {
  await configured("", (_stdout, stderr) => {
    const before = Date.now();
    getLogger("aio").warn("Now");
    const after = Date.now();
    const [, y, mo, d, h, mi, s, ms] =
      /^(\d+)-(\d+)-(\d+) (\d+):(\d+):(\d+),(\d+)/
        .exec(stderr.text)!.map(Number);
    const logged = new Date(y, mo - 1, d, h, mi, s, ms).getTime();
    assert.ok(
      logged >= before && logged <= after,
      `${logged} in ${before}..${after}`,
    );
  });
});

Deno.test("interpolated levels: log_level drives the root logger and the console handler", async () => {
  await configured(conf("[aio]", "log_level = DEBUG"), (_stdout, stderr) => {
    getLogger("aio.mymodule").debug("Seen");
    assert.match(stderr.text, /DEBUG\(aio\.mymodule\): Seen\n$/);
  });
  await configured(conf("[aio]", "log_level = WARNING"), (_stdout, stderr) => {
    getLogger("aio.mymodule").info("Hidden");
    getLogger("aio.mymodule").error("Shown");
    assert.equal(stderr.lines.length, 1);
    assert.match(stderr.lines[0], /ERROR\(aio\.mymodule\): Shown$/);
  });
});

Deno.test("the seed's README example logs to stdout at the interpolated level", async () => {
  const readme = conf(
    "[aio]",
    "log_level = DEBUG",
    "",
    "[logger_root]",
    "level=${aio:log_level}",
    "handlers=consoleHandler",
    "",
    "[handler_consoleHandler]",
    "class=StreamHandler",
    "level=${aio:log_level}",
    "formatter=simpleFormatter",
    "args=(sys.stdout,)",
    "",
    "[formatter_simpleFormatter]",
    "format=%(asctime)s %(levelname)s(%(name)s): %(message)s",
  );
  await configured(readme, (stdout, stderr) => {
    getLogger("aio.mymodule").debug("Hello {n}", { n: 42 });
    assert.equal(stderr.text, "");
    assert.match(
      stdout.lines[0],
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} DEBUG\(aio\.mymodule\): Hello 42$/,
    );
  });
});

Deno.test("a module's logger has the dotted name; '' and 'root' are the root", async () => {
  const format = conf(
    "[formatter_simpleFormatter]",
    "format = %(name)s|%(message)s",
  );
  await configured(format, (_stdout, stderr) => {
    getLogger("aio.mymodule").info("a");
    getLogger("").info("b");
    getLogger("root").info("c");
    assert.deepEqual(stderr.lines, ["aio.mymodule|a", "root|b", "root|c"]);
  });
});

const PROPAGATION = conf(
  "[loggers]",
  "keys=root,web,db",
  "[handlers]",
  "keys=rootH,webH",
  "[formatters]",
  "keys=f",
  "[logger_root]",
  "level=WARNING",
  "handlers=rootH",
  "[logger_web]",
  "level=DEBUG",
  "handlers=webH",
  "qualname=aio.web",
  "propagate=1",
  "[logger_db]",
  "level=NOTSET",
  "handlers=",
  "qualname=aio.web.db",
  "propagate=1",
  "[handler_rootH]",
  "class=StreamHandler",
  "args=(sys.stdout,)",
  "formatter=f",
  "[handler_webH]",
  "class=StreamHandler",
  "level=INFO",
  "args=(sys.stdout,)",
  "formatter=f",
  "[formatter_f]",
  "format=%(name)s %(levelname)s %(message)s",
);

function logEach(names: string[]) {
  for (const name of names) {
    const logger = getLogger(name);
    logger.debug("d");
    logger.info("i");
    logger.warn("w");
  }
}

Deno.test("levels and propagation match Python's fileConfig", async () => {
  await configured(PROPAGATION, (stdout) => {
    logEach(["aio.web", "aio.web.db", "aio.web.db.x", "aio.other", ""]);
    // The output of CPython 3.11's logging.config.fileConfig for the same file.
    assert.deepEqual(stdout.lines, [
      "aio.web DEBUG d",
      "aio.web INFO i",
      "aio.web INFO i",
      "aio.web WARNING w",
      "aio.web WARNING w",
      "aio.web.db DEBUG d",
      "aio.web.db INFO i",
      "aio.web.db INFO i",
      "aio.web.db WARNING w",
      "aio.web.db WARNING w",
      "aio.web.db.x DEBUG d",
      "aio.web.db.x INFO i",
      "aio.web.db.x INFO i",
      "aio.web.db.x WARNING w",
      "aio.web.db.x WARNING w",
      "aio.other WARNING w",
      "root WARNING w",
    ]);
  });
});

Deno.test("propagate=0 keeps records away from the ancestors' handlers", async () => {
  const text = PROPAGATION.replace(
    "qualname=aio.web\npropagate=1",
    "qualname=aio.web\npropagate=0",
  );
  await configured(text, (stdout) => {
    logEach(["aio.web", "aio.web.db"]);
    assert.deepEqual(stdout.lines, [
      "aio.web INFO i",
      "aio.web WARNING w",
      "aio.web.db INFO i",
      "aio.web.db WARNING w",
    ]);
  });
});

Deno.test("keys fill themselves from the sections present", async () => {
  const text = conf(
    "[logger_web]",
    "level = WARNING",
    "qualname = aio.web",
    "handlers = out",
    "propagate = no",
    "[handler_out]",
    "class = logging.StreamHandler",
    "args = (sys.stdout,)",
    "formatter = bare",
    "[formatter_bare]",
    "format = %(levelname)s %(message)s",
  );
  await configured(text, (stdout, stderr) => {
    getLogger("aio.web").info("Dropped");
    getLogger("aio.web").warn("Kept");
    getLogger("aio.other").info("Console");
    assert.deepEqual(stdout.lines, ["WARNING Kept"]);
    assert.match(stderr.text, /INFO\(aio\.other\): Console\n$/);
  });
});

Deno.test("StreamHandler writes to stderr without args; its own level filters", async () => {
  const text = conf(
    "[aio]",
    "log_level = DEBUG",
    "log_handlers = plain",
    "[handler_plain]",
    "class = StreamHandler",
    "level = ERROR",
  );
  await configured(text, (stdout, stderr) => {
    getLogger("x").warn("Dropped by the handler");
    getLogger("x").error("Boom");
    getLogger("x").fatal("Bang");
    assert.equal(stdout.text, "");
    // No formatter: Python's default, the message alone.
    assert.deepEqual(stderr.lines, ["Boom", "Bang"]);
  });
});

Deno.test("FileHandler appends with mode a and truncates with mode w", async () => {
  await withTempDir(async (dir) => {
    const appendPath = join(dir, "append.log");
    const truncatePath = join(dir, "truncate.log");
    await Deno.writeTextFile(appendPath, "old\n");
    await Deno.writeTextFile(truncatePath, "old\n");
    const text = conf(
      "[aio]",
      "log_handlers = append, truncate",
      "[handler_append]",
      "class = FileHandler",
      `args = (${JSON.stringify(appendPath)}, "a")`,
      "formatter = f",
      "[handler_truncate]",
      "class = FileHandler",
      `args = (${JSON.stringify(truncatePath)}, 'w')`,
      "level = WARNING",
      "formatter = f",
      "[formatter_f]",
      "format = %(levelname)-8s|%(message)s",
    );
    await configureLogging(layered(text), { stderr: capture() });
    getLogger("app").info("one");
    getLogger("app").warn("two");
    await flushLogging();
    assert.equal(
      await Deno.readTextFile(appendPath),
      "old\nINFO    |one\nWARNING |two\n",
    );
    assert.equal(await Deno.readTextFile(truncatePath), "WARNING |two\n");
  });
});

Deno.test("FileHandler defaults to append and takes kwargs as data", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "app.log");
    await Deno.writeTextFile(path, "old\n");
    const text = conf(
      "[aio]",
      "log_handlers = file",
      "[handler_file]",
      "class = FileHandler",
      `kwargs = {"filename": ${JSON.stringify(path)}, "encoding": "utf-8"}`,
    );
    await configureLogging(layered(text), { stderr: capture() });
    getLogger("app").info("Grüße");
    await flushLogging();
    assert.equal(await Deno.readTextFile(path), "old\nGrüße\n");
  });
});

Deno.test("resetLogging closes files and drops records; configuring again replaces", async () => {
  await withTempDir(async (dir) => {
    const first = join(dir, "first.log");
    const second = join(dir, "second.log");
    const fileConf = (path: string) =>
      conf(
        "[aio]",
        "log_handlers = file",
        "[handler_file]",
        "class = FileHandler",
        `args = (${JSON.stringify(path)},)`,
      );
    const stderr = capture();
    await configureLogging(layered(fileConf(first)), { stderr });
    getLogger("app").info("to first");
    await configureLogging(layered(fileConf(second)), { stderr });
    getLogger("app").info("to second");
    await resetLogging();
    getLogger("app").error("nowhere");
    assert.equal(await Deno.readTextFile(first), "to first\n");
    assert.equal(await Deno.readTextFile(second), "to second\n");
    assert.equal(stderr.text, "");
  });
});

Deno.test("formatter fields: levelno, created, msecs, process, widths and %%", async () => {
  const text = conf(
    "[formatter_simpleFormatter]",
    "format = %(levelno)03d|%(levelname)-8s|%(levelname)8s|%(name).3s|%(process)d|%(created)f|%(msecs)d|%(msecs)s|%(relativeCreated)d|100%%|%(message)r",
  );
  await configured(text, (_stdout, stderr) => {
    const before = Date.now();
    getLogger("aio.web").warn("it's");
    const fields = stderr.lines[0].split("|");
    assert.equal(fields[0], "030");
    assert.equal(fields[1], "WARNING ");
    assert.equal(fields[2], " WARNING");
    assert.equal(fields[3], "aio");
    assert.equal(fields[4], String(Deno.pid));
    assert.match(fields[5], /^\d+\.\d{6}$/);
    const created = Number(fields[5]) * 1000;
    assert.ok(Math.abs(created - before) < 5000);
    assert.equal(Number(fields[6]), Math.round(created) % 1000);
    assert.match(fields[7], /^\d+(\.\d+)?$/);
    assert.ok(fields[7].includes("."), "msecs is a float, as in Python");
    assert.match(fields[8], /^\d+$/);
    assert.equal(fields[9], "100%");
    assert.equal(fields[10], `"it's"`);
  });
});

Deno.test("datefmt uses strftime codes", async () => {
  const text = conf(
    "[formatter_simpleFormatter]",
    "format = [%(asctime)s] %(message)s",
    "datefmt = %d/%m/%Y %H:%M:%S %p %%",
  );
  await configured(text, (_stdout, stderr) => {
    getLogger("x").info("Dated");
    const now = new Date();
    const match =
      /^\[(\d\d)\/(\d\d)\/(\d{4}) (\d\d):(\d\d):(\d\d) (AM|PM) %\] Dated$/
        .exec(stderr.lines[0]);
    assert.ok(match, stderr.lines[0]);
    assert.equal(Number(match[3]), now.getFullYear());
    assert.equal(match[7], now.getHours() < 12 ? "AM" : "PM");
  });
});

Deno.test("values render as Python's %s would; a logged error adds its stack", async () => {
  const text = conf(
    "[formatter_simpleFormatter]",
    "format = %(message)s",
  );
  await configured(text, (_stdout, stderr) => {
    const error = new TypeError("bad thing");
    getLogger("x").info("{s} {n} {o} {u}", {
      s: "text",
      n: 1.5,
      o: { a: [1] },
      u: undefined,
    });
    getLogger("x").error("Listener {listener} failed: {error}", {
      listener: "onStart",
      error,
    });
    const [first, second, third] = stderr.text.split("\n");
    assert.equal(first, "text 1.5 { a: [ 1 ] } undefined");
    assert.equal(second, "Listener onStart failed: TypeError: bad thing");
    assert.equal(third, "TypeError: bad thing");
    assert.ok(stderr.text.includes(error.stack!.split("\n")[1]));
  });
});

Deno.test("filename and lineno come from the call site", async () => {
  const text = conf(
    "[formatter_simpleFormatter]",
    "format = %(filename)s:%(lineno)d %(module)s %(message)s",
  );
  await configured(text, (_stdout, stderr) => {
    const line = new Error().stack!.split("\n")[1].match(/:(\d+):\d+\)?$/)![1];
    getLogger("x").info("Here");
    assert.equal(
      stderr.lines[0],
      `logging_test.ts:${Number(line) + 1} logging_test Here`,
    );
  });
});

Deno.test("the json formatter writes one object per line", async () => {
  const text = conf(
    "[aio]",
    "log_level = DEBUG",
    "[handler_consoleHandler]",
    "formatter = json",
    "[formatter_json]",
    "class = json",
  );
  await configured(text, (_stdout, stderr) => {
    const before = Date.now();
    getLogger("aio.web").info("Listening on {port}", { port: 8080 });
    getLogger("aio.web").debug("Plain");
    getLogger("aio.web").error("Failed: {error}", { error: new Error("boom") });
    const records = stderr.lines.map((line) => JSON.parse(line));
    assert.equal(records.length, 3);
    const [listening, plain, failed] = records;
    assert.equal(listening.level, "INFO");
    assert.equal(listening.logger, "aio.web");
    assert.equal(listening.message, "Listening on 8080");
    assert.deepEqual(listening.properties, { port: 8080 });
    assert.match(listening.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(Math.abs(Date.parse(listening.time) - before) < 5000);
    assert.deepEqual(Object.keys(plain), [
      "time",
      "level",
      "logger",
      "message",
    ]);
    assert.equal(plain.level, "DEBUG");
    assert.equal(failed.properties.error.name, "Error");
    assert.equal(failed.properties.error.message, "boom");
    assert.match(failed.properties.error.stack, /^Error: boom\n/);
  });
});

Deno.test("colour on a terminal, none with NO_COLOR or off a terminal", async () => {
  const previous = Deno.env.get("NO_COLOR");
  try {
    Deno.env.delete("NO_COLOR");
    let stderr = capture(true);
    await configureLogging(layered(""), { stderr });
    getLogger("x").warn("Careful");
    assert.ok(stderr.text.includes("\x1b[33mWARNING\x1b[0m(x): Careful"));

    Deno.env.set("NO_COLOR", "1");
    stderr = capture(true);
    await configureLogging(layered(""), { stderr });
    getLogger("x").warn("Careful");
    assert.ok(!stderr.text.includes("\x1b["));

    Deno.env.delete("NO_COLOR");
    stderr = capture(false);
    await configureLogging(layered(""), { stderr });
    getLogger("x").warn("Careful");
    assert.ok(!stderr.text.includes("\x1b["));
  } finally {
    if (previous === undefined) Deno.env.delete("NO_COLOR");
    else Deno.env.set("NO_COLOR", previous);
    await resetLogging();
  }
});

Deno.test("LogTape's meta logger stays quiet below WARNING", async () => {
  await configured(conf("[aio]", "log_level = DEBUG"), (stdout, stderr) => {
    getLogger("x").debug("Mine");
    assert.equal(stdout.text, "");
    assert.doesNotMatch(stderr.text, /LogTape|logtape/);
    assert.equal(stderr.lines.length, 1);
  });
});

Deno.test("a stream that cannot be written is reported in one line a minute, not per record", async () => {
  const broken = {
    writeSync(): number {
      throw new Error("Broken pipe (os error 32)");
    },
  };
  const stderr = capture();
  const text = conf("[handler_consoleHandler]", "args = (sys.stdout,)");
  await configureLogging(layered(text), { stdout: broken, stderr });
  try {
    for (let i = 0; i < 50; i++) getLogger("x").info("Lost");
    assert.deepEqual(stderr.lines, [
      "aio: error: cannot write log stream stdout: Broken pipe (further errors suppressed for 60 s)",
    ]);
  } finally {
    await resetLogging();
  }
});

// --- Config errors ---------------------------------------------------------

function errorsOf(text: string): string[] {
  return validateLogging(layered(text)).map((error) => error.message);
}

Deno.test("errors: unknown handler class, with file and line", () => {
  const text = conf(
    "[aio]",
    "log_handlers = h, g",
    "[handler_h]",
    "class = RotatingFileHandler",
    "[handler_g]",
    "class = logging.SysLogHandler",
  );
  assert.deepEqual(errorsOf(text), [
    "aio.conf:4: [handler_h] class: unknown handler class 'RotatingFileHandler': write handlers.RotatingFileHandler, as Python's fileConfig needs",
    "aio.conf:6: [handler_g] class: unknown handler class 'logging.SysLogHandler': use StreamHandler, FileHandler, NullHandler, handlers.WatchedFileHandler, handlers.RotatingFileHandler or handlers.TimedRotatingFileHandler",
  ]);
});

Deno.test("errors: a formatter or handler named but not defined", () => {
  const text = conf(
    "[logger_root]",
    "handlers = consoleHandler, missing",
    "[handler_consoleHandler]",
    "formatter = nope",
  );
  assert.deepEqual(errorsOf(text), [
    "aio.conf:2: [logger_root] handlers: handler 'missing' is not defined: add a [handler_missing] section",
    "aio.conf:4: [handler_consoleHandler] formatter: formatter 'nope' is not defined: add a [formatter_nope] section",
  ]);
});

Deno.test("errors: explicit keys are honoured", () => {
  const text = conf(
    "[handlers]",
    "keys = ghost",
    "[logger_root]",
    "handlers = consoleHandler",
  );
  assert.deepEqual(errorsOf(text), [
    "aio.conf:2: [handlers] keys: 'ghost' is listed but there is no [handler_ghost] section",
    "aio.conf:4: [logger_root] handlers: handler 'consoleHandler' is not defined: add it to [handlers] keys",
  ]);
});

Deno.test("errors: bad level names, in a logger, a handler and through interpolation", () => {
  const text = conf(
    "[aio]",
    "log_level = VERBOSE",
    "[logger_web]",
    "level = LOUD",
  );
  assert.deepEqual(errorsOf(text), [
    // The built-in sections' levels refer to [aio] log_level: its problem,
    // once, about the option the user wrote.
    "aio.conf:2: [aio] log_level: unknown level 'VERBOSE': use DEBUG, INFO, WARNING, ERROR, CRITICAL or NOTSET",
    "aio.conf:4: [logger_web] level: unknown level 'LOUD': use DEBUG, INFO, WARNING, ERROR, CRITICAL or NOTSET",
  ]);
});

Deno.test("errors: args are data, never evaluated", async () => {
  await withTempDir(async (dir) => {
    const marker = join(dir, "pwned");
    const text = conf(
      "[handler_consoleHandler]",
      `args = (__import__('os').system('touch ${marker}'),)`,
    );
    const errors = errorsOf(text);
    assert.equal(errors.length, 1);
    assert.match(
      errors[0],
      /^aio\.conf:2: \[handler_consoleHandler\] args: must be data, not code \(.*\): __import__ at column 2 is not allowed$/,
    );
    await assert.rejects(
      configureLogging(layered(text), { stderr: capture() }),
      (error) => error instanceof ConfigError && error.line === 2,
    );
    await assert.rejects(Deno.stat(marker), Deno.errors.NotFound);
  });
  for (
    const args of [
      "(open('x'),)",
      "(sys.stdout.write('x'),)",
      "(sys.stdin,)",
      "(1 + 2,)",
      "(lambda: 1,)",
      "(f'{x}',)",
    ]
  ) {
    const errors = errorsOf(conf("[handler_consoleHandler]", `args = ${args}`));
    assert.equal(errors.length, 1, args);
    assert.match(errors[0], /^aio\.conf:2: .*args: must be data/, args);
  }
});

Deno.test("errors: a StreamHandler that is not given a standard stream", () => {
  assert.deepEqual(
    errorsOf(conf("[handler_consoleHandler]", "args = ('out.log',)")),
    [
      `aio.conf:2: [handler_consoleHandler] args: StreamHandler writes to sys.stdout or sys.stderr, not "out.log"`,
    ],
  );
});

Deno.test("a log file's missing directories are created; a file in the way is an error at the line of args", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "var", "log", "app.log");
    const text = (file: string) =>
      conf(
        "[aio]",
        "log_handlers = file",
        "[handler_file]",
        "class = FileHandler",
        `args = (${JSON.stringify(file)}, "a")`,
      );
    assert.deepEqual(errorsOf(text(path)), []);
    await configureLogging(layered(text(path)), { stderr: capture() });
    getLogger("x").warn("Made");
    assert.match(await Deno.readTextFile(path), /Made\n$/);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o644);
    await resetLogging();

    const blocked = join(dir, "var", "log", "app.log", "inner", "x.log");
    assert.deepEqual(errorsOf(text(blocked)), [
      `aio.conf:5: [handler_file] args: cannot create the directory of log file '${blocked}': '${path}' is not a directory`,
    ]);
    await assert.rejects(
      configureLogging(layered(text(blocked)), { stderr: capture() }),
      (error) => error instanceof ConfigError && error.line === 5,
    );
  });
});

Deno.test("errors: bad FileHandler mode, format fields, formatter class, propagate", () => {
  const text = conf(
    "[logger_web]",
    "qualname = aio.web",
    "propagate = maybe",
    "[handler_file]",
    "class = FileHandler",
    "args = ('app.log', 'x')",
    "[formatter_simpleFormatter]",
    "format = %(asctime)s %(funcName)s",
    "[formatter_other]",
    "class = pythonjsonlogger.JsonFormatter",
  );
  assert.deepEqual(errorsOf(text), [
    "aio.conf:3: [logger_web] propagate: must be 1 or 0, not 'maybe'",
    `aio.conf:6: [handler_file] args: mode must be "a" (append) or "w" (truncate), not "x"`,
    `aio.conf:8: [formatter_simpleFormatter] format: unknown field %(funcName)s at column 13: use one of asctime, created, filename, levelname, levelno, lineno, message, module, msecs, name, pathname, process, processName, relativeCreated, thread, threadName`,
    "aio.conf:10: [formatter_other] class: unknown formatter class 'pythonjsonlogger.JsonFormatter': use json, or leave class out for a % format",
  ]);
});

Deno.test("errors: a bad interpolation is reported where it is written", () => {
  const errors = validateLogging(
    layered(conf("[logger_root]", "level = ${aio:nope}")),
  );
  assert.equal(errors.length, 1);
  assert.equal(errors[0].source, "aio.conf");
  assert.equal(errors[0].line, 2);
});

Deno.test("errors: configureLogging throws the first and keeps the earlier configuration", async () => {
  const stderr = capture();
  await configureLogging(layered(""), { stderr });
  try {
    await assert.rejects(
      configureLogging(
        layered(conf("[handler_consoleHandler]", "class = Nope")),
        { stderr },
      ),
      /^ConfigError: aio\.conf:2: \[handler_consoleHandler\] class: unknown handler class 'Nope'/,
    );
    getLogger("x").info("Still here");
    assert.match(stderr.text, /INFO\(x\): Still here\n$/);
  } finally {
    await resetLogging();
  }
});

Deno.test("the built-in defaults are valid", () => {
  assert.deepEqual(validateLogging(layered("")), []);
});

Deno.test("getLogger's fast exit follows every reconfiguration, LogTape's own included", async () => {
  const logger = getLogger("aio.fast");
  assert.equal(getLogger("aio.fast"), logger);
  const stderr = capture();
  await configureLogging(layered(conf("[aio]", "log_level = WARNING")), {
    stderr,
  });
  try {
    logger.info("Dropped");
    assert.equal(stderr.text, "");
    const seen: string[] = [];
    await configure({
      sinks: { list: (record) => seen.push(String(record.message[0])) },
      loggers: [
        { category: ["aio"], sinks: ["list"], lowestLevel: "debug" },
        { category: ["logtape", "meta"], lowestLevel: "error" },
      ],
      reset: true,
    });
    logger.debug("By hand");
    assert.deepEqual(seen, ["By hand"]);
    await resetLogging();
    logger.fatal("Unconfigured");
    assert.deepEqual(seen, ["By hand"]);
    const result = logger.debug("Lazy", () => Promise.resolve({ a: 1 }));
    assert.ok(result instanceof Promise);
    await result;
    await configureLogging(layered(conf("[aio]", "log_level = DEBUG")), {
      stderr,
    });
    logger.debug("Back");
    assert.match(stderr.text, /DEBUG\(aio\.fast\): Back\n$/);
    assert.equal(logger.getChild("child").category.join("."), "aio.fast.child");
    logger.with({ request: 7 }).debug("With {request}");
    assert.match(stderr.text, /DEBUG\(aio\.fast\): With 7\n$/);
  } finally {
    await resetLogging();
  }
});

Deno.test("the built-in console handler is left alone when nobody uses it", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "app.log");
    const text = conf(
      "[formatters]",
      "keys = plain",
      "[logger_root]",
      "handlers = file",
      "[handler_file]",
      "class = FileHandler",
      `args = (${JSON.stringify(path)},)`,
      "formatter = plain",
      "[formatter_plain]",
      "format = %(levelname)s %(message)s",
    );
    assert.deepEqual(errorsOf(text), []);
    const stderr = capture();
    await configureLogging(layered(text), { stderr });
    getLogger("app").info("Filed");
    assert.equal(await Deno.readTextFile(path), "INFO Filed\n");
    assert.equal(stderr.text, "");
  });
});

Deno.test("NullHandler drops records; StreamHandler takes its stream as a kwarg", async () => {
  const text = conf(
    "[aio]",
    "log_handlers = quiet, out",
    "[handler_quiet]",
    "class = NullHandler",
    "[handler_out]",
    "class = StreamHandler",
    "kwargs = {'stream': sys.stdout}",
  );
  await configured(text, (stdout, stderr) => {
    getLogger("x").info("Once");
    assert.deepEqual(stdout.lines, ["Once"]);
    assert.equal(stderr.text, "");
  });
});
