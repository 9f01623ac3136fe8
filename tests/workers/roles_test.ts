import { deepEqual, equal } from "node:assert/strict";
import { ConfigParser } from "../../src/config/config_parser.ts";
import { Problems } from "../../src/config/problems.ts";
import type { Plan } from "../../src/prepare.ts";
import type { ScheduleDefinition } from "../../src/schedule/mod.ts";
import { readServerSpec, type ResolvedServer } from "../../src/server/mod.ts";
import {
  adaptPlan,
  sharedPortZero,
  sharesPort,
} from "../../src/workers/roles.ts";
import { delayToGrid } from "../../src/workers/worker_side.ts";

function server(lines: string, name: string): ResolvedServer {
  const config = new ConfigParser().readString(
    `[server/${name}]\n${lines}\n`,
    "app.conf",
  );
  const problems = new Problems();
  const spec = readServerSpec(config, `server/${name}`, problems);
  problems.throwIfAny();
  const fake = () => {};
  return {
    spec: spec!,
    ...(spec!.handler && { handler: fake as never }),
    ...(spec!.protocol && { protocol: class {} as never }),
    ...(spec!.factory && { factory: fake as never }),
  };
}

const servers = [
  server("handler = ./a.ts#h\nport = 0", "web"),
  server("protocol = ./a.ts#P\nport = 7001", "raw"),
  server("protocol = ./a.ts#P\ntransport = udp\nport = 0", "dgram"),
  server("protocol = ./a.ts#P\npath = /tmp/a.sock", "local"),
  server("handler = ./a.ts#h\npath = /tmp/h.sock", "local-http"),
  server("factory = ./a.ts#f\nport = 7002", "made"),
];

function schedule(name: string, workers: "one" | "all"): ScheduleDefinition {
  return { name, every: 1, func: () => {}, workers };
}

function plan(): Plan {
  return {
    servers: [...servers],
    schedules: [schedule("once", "one"), schedule("each", "all")],
  } as unknown as Plan;
}

Deno.test("tcp, tls and http on a port are shared; udp, unix sockets and factories are not", () => {
  deepEqual(servers.map(sharesPort), [true, true, false, false, false, false]);
  deepEqual(sharedPortZero(servers), ["web"]);
});

Deno.test("a worker that is not the owner runs the shared servers (reuse_port on, known ports filled) and workers = all schedules", () => {
  const adapted = plan();
  const owned = adaptPlan(adapted, {
    owner: false,
    ports: { web: 8123, dgram: 9000 },
  });
  deepEqual(
    adapted.servers.map((s) => [s.spec.name, s.spec.port, s.spec.reusePort]),
    [
      ["web", 8123, true],
      ["raw", 7001, true],
    ],
  );
  deepEqual(adapted.schedules.map((s) => s.name), ["each"]);
  deepEqual(owned.servers.map((s) => s.spec.name), [
    "dgram",
    "local",
    "local-http",
    "made",
  ]);
  deepEqual(owned.schedules.map((s) => s.name), ["once"]);
});

Deno.test("the owner runs everything; a port 0 server whose port is known gets it", () => {
  const adapted = plan();
  adaptPlan(adapted, { owner: true, ports: { dgram: 9000 } });
  deepEqual(adapted.servers.map((s) => [s.spec.name, s.spec.port]), [
    ["web", 0],
    ["raw", 7001],
    ["dgram", 9000],
    ["local", undefined],
    ["local-http", undefined],
    ["made", 7002],
  ]);
  deepEqual(adapted.schedules.map((s) => s.name), ["once", "each"]);
});

Deno.test("a take-over waits for the next slot of a start-anchored every schedule's grid", () => {
  const every = schedule("tick", "one");
  equal(delayToGrid({ ...every, every: 10 }, 1_000, 1_000), 0);
  equal(delayToGrid({ ...every, every: 10 }, 1_000, 4_000), 7_000);
  equal(delayToGrid({ ...every, every: 10 }, 1_000, 31_500), 9_500);
  equal(delayToGrid({ ...every, every: 10 }, 5_000, 1_000), 4_000);
  // Unknown grid, cron, or slots on the epoch (claims): no wait.
  equal(delayToGrid({ ...every, every: 10 }, undefined, 4_000), 0);
  equal(
    delayToGrid({ name: "c", cron: "* * * * *", func: () => {} }, 1_000, 4_000),
    0,
  );
  equal(delayToGrid({ ...every, every: 10, anchor: "epoch" }, 1_000, 4_000), 0);
});
