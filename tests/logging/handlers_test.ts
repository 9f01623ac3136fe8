// The FileHandler family through the config: class spellings, Python's
// argument order, errors with file and line, the built-in fileHandler,
// logging.conf and reopenLogFiles.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  configureLogging,
  flushLogging,
  getLogger,
  reopenLogFiles,
  resetLogging,
  validateLogging,
} from "../../src/logging.ts";
import { ConfigError } from "../../src/config/errors.ts";
import { capture, conf, layered } from "./_helpers.ts";

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "aio_handlers_" });
  try {
    await fn(dir);
  } finally {
    await resetLogging();
    await Deno.remove(dir, { recursive: true });
  }
}

function handler(className: string, args: string, extra: string[] = []) {
  return conf(
    "[aio]",
    "log_handlers = h",
    "[handler_h]",
    `class = ${className}`,
    `args = ${args}`,
    "formatter = plain",
    ...extra,
    "[formatter_plain]",
    "format = %(message)s",
  );
}

function errorsOf(text: string): string[] {
  return validateLogging(layered(text), { loggingConf: null }).map((error) =>
    error.message
  );
}

function names(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((entry) => entry.name).sort();
}

Deno.test("class spellings: handlers.X and logging.handlers.X, as fileConfig resolves them", async () => {
  await withDir(async (dir) => {
    for (
      const className of [
        "handlers.WatchedFileHandler",
        "logging.handlers.WatchedFileHandler",
        "logging.FileHandler",
        "handlers.RotatingFileHandler",
        "logging.handlers.TimedRotatingFileHandler",
      ]
    ) {
      const path = join(dir, `${className}.log`);
      await configureLogging(
        layered(handler(className, `(${JSON.stringify(path)},)`)),
        { stderr: capture(), loggingConf: null },
      );
      getLogger("x").warn(className);
      await resetLogging();
      assert.equal(Deno.readTextFileSync(path), `${className}\n`);
    }
  });
});

Deno.test("RotatingFileHandler takes Python's order in args, or kwargs", async () => {
  await withDir(async (dir) => {
    for (
      const [name, args, kwargs] of [
        ["positional", `("${dir}/positional.log", "a", 15, 2)`, undefined],
        [
          "keywords",
          `("${dir}/keywords.log",)`,
          `{"maxBytes": 15, "backupCount": 2}`,
        ],
      ]
    ) {
      const text = handler(
        "handlers.RotatingFileHandler",
        args!,
        kwargs ? [`kwargs = ${kwargs}`] : [],
      );
      await configureLogging(layered(text), {
        stderr: capture(),
        loggingConf: null,
      });
      // 7 bytes a line under maxBytes = 15: two lines a file.
      for (let n = 1; n <= 9; n++) getLogger("x").warn(`line ${n}`);
      await resetLogging();
      const path = join(dir, `${name}.log`);
      assert.equal(Deno.readTextFileSync(`${path}.2`), "line 5\nline 6\n");
      assert.equal(Deno.readTextFileSync(`${path}.1`), "line 7\nline 8\n");
      assert.equal(Deno.readTextFileSync(path), "line 9\n");
    }
    assert.deepEqual(names(dir), [
      "keywords.log",
      "keywords.log.1",
      "keywords.log.2",
      "positional.log",
      "positional.log.1",
      "positional.log.2",
    ]);
  });
});

Deno.test("bad file handler args are config errors at the line of args or kwargs", () => {
  const cases: [string, string, string[], string][] = [
    [
      "handlers.RotatingFileHandler",
      `("app.log", "a", -1)`,
      [],
      "aio.conf:5: [handler_h] args: maxBytes must be a whole number, 0 or more, not -1",
    ],
    [
      "handlers.RotatingFileHandler",
      `("app.log", "a", 10, 2.5)`,
      [],
      "aio.conf:5: [handler_h] args: backupCount must be a whole number, 0 or more, not 2.5",
    ],
    [
      "FileHandler",
      `("app.log", "a", None, False, None, 1)`,
      [],
      "aio.conf:5: [handler_h] args: FileHandler takes at most 5 arguments, not 6: FileHandler(filename, mode, encoding, delay, errors)",
    ],
    [
      "handlers.TimedRotatingFileHandler",
      `("app.log", "fortnight")`,
      [],
      `aio.conf:5: [handler_h] args: when must be one of 'S', 'M', 'H', 'D', 'midnight' or 'W0'-'W6', not "fortnight"`,
    ],
    [
      "handlers.TimedRotatingFileHandler",
      `("app.log", "S", 0)`,
      [],
      "aio.conf:5: [handler_h] args: interval must be 1 or more",
    ],
    [
      "handlers.TimedRotatingFileHandler",
      `("app.log",)`,
      [`kwargs = {"atTime": "25:00"}`],
      `aio.conf:7: [handler_h] kwargs: atTime must be a time of day as "HH:MM" or "HH:MM:SS" (Python's datetime.time cannot be written as data), not "25:00"`,
    ],
    [
      "handlers.WatchedFileHandler",
      `("app.log", "a")`,
      [`kwargs = {"mode": "w"}`],
      "aio.conf:7: [handler_h] kwargs: WatchedFileHandler got two values for 'mode' (in args and in kwargs)",
    ],
    [
      "handlers.WatchedFileHandler",
      `()`,
      [`kwargs = {"filename": "app.log", "maxBytes": 5}`],
      "aio.conf:7: [handler_h] kwargs: WatchedFileHandler has no argument 'maxBytes': WatchedFileHandler(filename, mode, encoding, delay, errors)",
    ],
    [
      "handlers.TimedRotatingFileHandler",
      `()`,
      [],
      `aio.conf:5: [handler_h] args: TimedRotatingFileHandler needs a file name first: write args = ("var/log/app.log", "midnight", 1, 7)`,
    ],
    [
      "handlers.RotatingFileHandler",
      `("app.log", "a", 0, 0, "latin-1")`,
      [],
      `aio.conf:5: [handler_h] args: RotatingFileHandler writes UTF-8 only, not "latin-1"`,
    ],
  ];
  for (const [className, args, extra, message] of cases) {
    const text = handler(className, args, extra);
    assert.deepEqual(errorsOf(text), [message], `${className} ${args}`);
  }
});

Deno.test("the built-in fileHandler writes [aio] log_file in the console's format, its directory made", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "var", "log", "app.log");
    const stderr = capture();
    await configureLogging(
      layered(conf(
        "[aio]",
        "log_handlers = consoleHandler, fileHandler",
        `log_file = ${path}`,
      )),
      { stderr, loggingConf: null },
    );
    getLogger("aio.web").info("Hello {n}", { n: 1 });
    await flushLogging();
    const line =
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO\(aio\.web\): Hello 1$/;
    assert.match(Deno.readTextFileSync(path).trimEnd(), line);
    assert.match(stderr.lines[0], line);
  });
});

Deno.test("the built-in fileHandler: a bad log_file is reported where log_file is set, as [aio] log_file", () => {
  const errors = validateLogging(
    layered(conf(
      "[aio]",
      "log_handlers = fileHandler",
      "log_file = /dev/null/app.log",
    )),
    { loggingConf: null },
  );
  assert.deepEqual(errors.map((error) => error.message), [
    "aio.conf:3: [aio] log_file: cannot create the directory of log file '/dev/null/app.log': '/dev/null' is not a directory",
  ]);
});

Deno.test("logging.conf wins over the config for logging, option by option, and is checked", async () => {
  await withDir(async (dir) => {
    const loggingConf = join(dir, "logging.conf");
    const path = join(dir, "app.log");
    Deno.writeTextFileSync(
      loggingConf,
      conf(
        "[logger_root]",
        "level = DEBUG",
        "handlers = consoleHandler, file",
        "[handler_file]",
        "class = handlers.WatchedFileHandler",
        `args = ("${path}",)`,
        "formatter = simpleFormatter",
      ),
    );
    const stderr = capture();
    const config = layered(conf("[aio]", "log_level = WARNING"));
    await configureLogging(config, { stderr, loggingConf });
    getLogger("x").debug("Seen by the file");
    await resetLogging();
    // The console handler's own level still comes from [aio] log_level.
    assert.equal(stderr.text, "");
    assert.match(Deno.readTextFileSync(path), /DEBUG\(x\): Seen by the file/);
    // The app's config itself is untouched.
    assert.equal(config.get("logger_root", "level"), "WARNING");
    assert.equal(config.has("handler_file"), false);

    Deno.writeTextFileSync(
      loggingConf,
      conf("[logger_root]", "level = LOUD"),
    );
    const errors = validateLogging(config, { loggingConf });
    assert.deepEqual(errors.map((error) => error.message), [
      `${loggingConf}:2: [logger_root] level: unknown level 'LOUD': use DEBUG, INFO, WARNING, ERROR, CRITICAL or NOTSET`,
    ]);
    Deno.writeTextFileSync(
      loggingConf,
      "[logger_root]\nlevel = DEBUG\nlevel = INFO\n",
    );
    await assert.rejects(
      configureLogging(config, { stderr, loggingConf }),
      (error) =>
        error instanceof ConfigError && error.source === loggingConf &&
        error.line === 3,
    );
  });
});

Deno.test("logging.conf is read from the working directory by default", async () => {
  await withDir(async (dir) => {
    Deno.writeTextFileSync(
      join(dir, "logging.conf"),
      conf("[logger_root]", "level = NOPE"),
    );
    const script = `
      import { validateLogging } from ${
      JSON.stringify(new URL("../../src/logging.ts", import.meta.url).href)
    };
      import { buildConfig } from ${
      JSON.stringify(
        new URL("../../src/config/layers.ts", import.meta.url).href,
      )
    };
      console.log(validateLogging(buildConfig(undefined)).map((e) => e.message).join("\\n"));`;
    const { stdout } = await new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        "--config",
        new URL("../../deno.json", import.meta.url).pathname,
        script,
      ],
      cwd: dir,
    }).output();
    assert.equal(
      new TextDecoder().decode(stdout).trim(),
      "logging.conf:2: [logger_root] level: unknown level 'NOPE': use DEBUG, INFO, WARNING, ERROR, CRITICAL or NOTSET",
    );
  });
});

Deno.test("reopenLogFiles: after mv, later records go to a new file at the path", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "app.log");
    await configureLogging(
      layered(handler("FileHandler", `(${JSON.stringify(path)}, "w")`)),
      { stderr: capture(), loggingConf: null },
    );
    getLogger("x").warn("one");
    Deno.renameSync(path, `${path}.1`);
    getLogger("x").warn("two");
    await reopenLogFiles();
    getLogger("x").warn("three");
    await reopenLogFiles(); // not moved: appends, never truncates
    getLogger("x").warn("four");
    await resetLogging();
    assert.equal(Deno.readTextFileSync(`${path}.1`), "one\ntwo\n");
    assert.equal(Deno.readTextFileSync(path), "three\nfour\n");
  });
});

Deno.test("TimedRotatingFileHandler on the real clock (when='S'): rolls over, loses nothing", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "app.log");
    await configureLogging(
      layered(
        handler(
          "handlers.TimedRotatingFileHandler",
          `(${JSON.stringify(path)}, "S", 1, 3)`,
        ),
      ),
      { stderr: capture(), loggingConf: null },
    );
    // Log until two rollovers have happened (about 1-2 s), within 6 s.
    const deadline = Date.now() + 6000;
    let n = 0;
    while (names(dir).length < 3 && Date.now() < deadline) {
      getLogger("x").warn(`line ${++n}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await resetLogging();
    const files = names(dir);
    assert.ok(files.length >= 3, files.join(", "));
    for (const name of files.slice(1)) {
      assert.match(name, /^app\.log\.\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d$/);
    }
    // Backups in name order, then the current file: every line once, in order.
    const lines = [...files.slice(1), files[0]].flatMap((name) =>
      Deno.readTextFileSync(join(dir, name)).split("\n").filter(Boolean)
    );
    assert.deepEqual(
      lines,
      Array.from({ length: n }, (_, i) => `line ${i + 1}`),
    );
  });
});

Deno.test("aio permissions: used log files only; directories for rotation, a read for watching, the topmost missing directory", async () => {
  const { logFilePermissions } = await import(
    "../../src/logging/_permissions.ts"
  );
  await withDir((dir) => {
    const text = conf(
      "[aio]",
      "log_handlers = plain, watched, rotating",
      "[handler_plain]",
      "class = FileHandler",
      `args = ("${dir}/new/deeper/plain.log",)`,
      "[handler_watched]",
      "class = handlers.WatchedFileHandler",
      `args = ("${dir}/watched.log",)`,
      "[handler_rotating]",
      "class = handlers.TimedRotatingFileHandler",
      `args = ("${dir}/rot/app.log", "midnight")`,
      "[handler_unused]",
      "class = FileHandler",
      `args = ("${dir}/unused.log",)`,
    );
    Deno.mkdirSync(join(dir, "rot"));
    assert.deepEqual(logFilePermissions(layered(text)), {
      read: [`${dir}/watched.log`, `${dir}/rot`],
      write: [
        `${dir}/new/deeper/plain.log`,
        `${dir}/new`,
        `${dir}/watched.log`,
        `${dir}/rot`,
      ],
    });
    return Promise.resolve();
  });
});
