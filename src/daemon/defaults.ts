/**
 * Where `aio run -d` keeps its files unless the config says otherwise: a
 * leaf module, so the command-line tables can name them without loading
 * the config reader.
 *
 * @module
 */

/** `[aio] pidfile` when the config has none. */
export const DEFAULT_PIDFILE = "var/run/aio.pid";
/** `[aio] daemon_log` when the config has none. */
export const DEFAULT_DAEMON_LOG = "var/log/aio.log";
/** How long `aio run -d` waits for the app to start, by default (s): systemd's `DefaultTimeoutStartSec`. */
export const DEFAULT_START_TIMEOUT_S = 90;
