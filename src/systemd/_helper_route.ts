/**
 * sd_notify through the `systemd-notify` binary (`--allow-run=systemd-notify`,
 * no unstable flag, no FFI). The datagram comes from the helper's pid, not
 * aio's, so the unit needs `NotifyAccess=all`; systemd-notify waits until
 * systemd has processed each message (its barrier), so the helper is still
 * alive when systemd looks up its pid.
 *
 * @module
 */

import { granted } from "./_permissions.ts";
import {
  type NotifyAddress,
  type NotifyRoute,
  RouteUnavailable,
} from "./_route.ts";

/** The helper binary, found on PATH. */
export const HELPER = "systemd-notify";
/** How long one helper run may take before it is killed. */
const HELPER_TIMEOUT_MS = 5000;

/** Opens the helper route; throws {@linkcode RouteUnavailable} unless running it is granted. */
export function openHelperRoute(address: NotifyAddress): NotifyRoute {
  if (!granted({ name: "run", command: HELPER })) {
    throw new RouteUnavailable(
      `running ${HELPER} is not granted (--allow-run=${HELPER})`,
    );
  }
  return {
    name: "helper",
    fromOwnPid: false,
    async send(text: string): Promise<void> {
      let child: Deno.ChildProcess;
      try {
        child = new Deno.Command(HELPER, {
          // Each line is one VARIABLE=VALUE argument, as systemd-notify takes them.
          args: text.split("\n"),
          env: { NOTIFY_SOCKET: address.text },
          stdin: "null",
          stdout: "null",
          stderr: "piped",
        }).spawn();
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) {
          throw new RouteUnavailable(`${HELPER} is not installed`);
        }
        throw error;
      }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // It ended meanwhile.
        }
      }, HELPER_TIMEOUT_MS);
      try {
        const [{ code, signal }, stderr] = await Promise.all([
          child.status,
          new Response(child.stderr).text(),
        ]);
        if (code !== 0) {
          const reason = stderr.trim();
          throw new Error(
            `${HELPER} ${
              signal
                ? `was killed after ${HELPER_TIMEOUT_MS} ms`
                : `exited ${code}`
            }${reason ? `: ${reason.split("\n")[0]}` : ""}`,
          );
        }
      } finally {
        clearTimeout(timer);
      }
    },
    close: () => Promise.resolve(),
  };
}
