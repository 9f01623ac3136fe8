// A process that speaks sd_notify as aio run will: the notify tests run it
// under different permission flags to drive each route.
import { SystemdNotifier } from "../../src/systemd/notify.ts";

const notifier = new SystemdNotifier({
  warn: (message) => console.error(`WARN ${message}`),
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

notifier.startWatchdog();
await notifier.ready("started: 1 server");
// Time for the watchdog timer to ping a few times (WATCHDOG_USEC=200000: every 100 ms).
await sleep(350);
const blockMs = Number(Deno.env.get("X_TEST_BLOCK_MS") ?? 0);
if (blockMs > 0) {
  // A handler that hogs the loop: the watchdog timer cannot fire meanwhile.
  const start = performance.now();
  while (performance.now() - start < blockMs) {
    // Busy.
  }
  await sleep(250);
}
await notifier.reloading("reloading");
await notifier.ready("reloaded");
await notifier.mainPid(Deno.pid);
await notifier.stopping("stopping");
await notifier.send({ X_TEST_DONE: 1 });
await notifier.close();
console.log(JSON.stringify({ route: notifier.route, pid: Deno.pid }));
