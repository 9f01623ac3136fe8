// Command-line overrides (`--log-level`): the last layer of all.
import { deepEqual, equal } from "node:assert/strict";
import { buildConfig, OVERRIDES_SOURCE } from "../../src/config/layers.ts";

Deno.test("an override wins over the defaults, the user config and module defaults", () => {
  const user = { text: "[aio]\nlog_level = ERROR\n", source: "app.conf" };
  const module = { text: "[aio]\nlog_level = WARNING\n", source: "mod.conf" };
  const config = buildConfig(user, [module], [
    { section: "aio", option: "log_level", value: "DEBUG" },
  ]);
  equal(config.get("aio", "log_level"), "DEBUG");
  deepEqual(config.source("aio", "log_level"), {
    file: OVERRIDES_SOURCE,
    line: 2,
  });
  // What interpolates it sees the override too.
  equal(config.get("logger_root", "level"), "DEBUG");
});

Deno.test("overrides of one option keep the last; new sections are made", () => {
  const config = buildConfig(undefined, [], [
    { section: "aio", option: "log_level", value: "DEBUG" },
    { section: "extra", option: "Name", value: "one\ntwo" },
    { section: "aio", option: "LOG_LEVEL", value: "ERROR" },
  ]);
  equal(config.get("aio", "log_level"), "ERROR");
  equal(config.get("extra", "name"), "one\ntwo");
});
