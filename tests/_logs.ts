// Logging to a real file for tests that check what aio logged.

/** A config fragment that sends every record to a temp file, and a reader for it. */
export async function logFile(): Promise<
  { config: string; path: string; read(): Promise<string> }
> {
  const path = await Deno.makeTempFile({ prefix: "aio_log_", suffix: ".log" });
  return {
    path,
    config: `[logger_root]
level = DEBUG
handlers = testFile

[handler_testFile]
class = FileHandler
args = (${JSON.stringify(path)}, "w")
formatter = simpleFormatter
`,
    read: () => Deno.readTextFile(path),
  };
}
