/**
 * aio's built-in defaults: layer 1 of every config. Kept as a string, not a
 * file beside the code, so a compiled binary and the JSR package carry it.
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
shutdown_timeout = 10

[logger_root]
level = \${aio:log_level}
handlers = \${aio:log_handlers}

[handler_consoleHandler]
class = StreamHandler
level = \${aio:log_level}
formatter = simpleFormatter
args = (sys.stderr,)

[formatter_simpleFormatter]
format = %(asctime)s %(levelname)s(%(name)s): %(message)s
`;
