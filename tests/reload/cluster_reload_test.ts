// A reload of an app in a cluster ([aio/cluster], a real nats-server): its
// `cluster = once` schedules keep their claims across the reload, and the
// cluster connection is the one the process started with, so a changed
// section is a problem of the reload (a restart applies it).
import { equal, match } from "node:assert/strict";
import { runApp } from "../../testing.ts";
import { eventually } from "../cluster/_helpers.ts";
import { startNats } from "../cluster/_nats.ts";

const RECORDER = new URL("../fixtures/app/recorder.ts", import.meta.url)
  .pathname;

function config(url: string, name = "t"): string {
  return `[aio]
log_level = CRITICAL

[aio/cluster]
url = ${url}
name = ${name}

[schedule/once]
every = 0.2
cluster = once
func = ${RECORDER}#scheduled
`;
}

Deno.test("a reload keeps the cluster's claims on cluster = once schedules; a changed [aio/cluster] is refused", async () => {
  await using nats = await startNats();
  const { calls, reset } = await import("../fixtures/app/recorder.ts");
  reset();
  await runApp(config(nats.url), async (app) => {
    await eventually("a first run", () => calls.length > 0);
    const same = await app.reload({
      configString: "# a comment moves every line\n" + config(nats.url),
    });
    equal(same.outcome, "reloaded", same.errors.join("\n"));
    const before = calls.length;
    await eventually("runs after the reload", () => calls.length > before + 1);

    const renamed = await app.reload({
      configString: config(nats.url, "u"),
    });
    equal(renamed.outcome, "failed");
    equal(renamed.errors.length, 1);
    match(
      renamed.errors[0].message,
      /^<string>:4: \[aio\/cluster\] changed: a reload keeps the cluster connection the process started with; restart aio/,
    );
    equal(app.cluster?.name, "t");

    const removed = await app.reload({ configString: "[aio]\n" });
    equal(removed.outcome, "failed");
    match(removed.errors[0].message, /\[aio\/cluster\] removed: /);
  });
});
