/**
 * aio's built-in defaults: layer 1 of every config. Kept as a string, not a
 * file beside the code, so a compiled binary and the JSR package carry it.
 *
 * The logging part follows the original aio.app's `aio.conf`: a
 * `consoleHandler` and a `fileHandler` writing to `[aio] log_file`, both in
 * the `simpleFormatter` format, chosen by `[aio] log_handlers`. The original
 * wrote to stdout and, in its last release, set `log_file = /dev/null` (its
 * daemon sent stdout to `var/log/aio.log`, so the same file twice doubled
 * every line); here the console goes to stderr and the file defaults to
 * `var/log/app.log`, apart from the daemon's `var/log/aio.log`.
 *
 * @module
 */

/** The name built-in default values report as their file. */
export const DEFAULTS_SOURCE = "<aio defaults>";

/** The built-in defaults, in aio's own config dialect. */
export const DEFAULT_CONFIG = `[aio]
modules =
log_level = INFO
log_handlers = consoleHandler
log_file = var/log/app.log
shutdown_timeout = 10

[logger_root]
level = \${aio:log_level}
handlers = \${aio:log_handlers}

[handler_consoleHandler]
class = StreamHandler
level = \${aio:log_level}
formatter = simpleFormatter
args = (sys.stderr,)

[handler_fileHandler]
class = FileHandler
level = \${aio:log_level}
formatter = simpleFormatter
args = ("\${aio:log_file}", "a")

[formatter_simpleFormatter]
format = %(asctime)s %(levelname)s(%(name)s): %(message)s
`;
