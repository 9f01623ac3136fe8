// Hostile input at every server kind (tcp, unix, tls, udp, http): random
// bytes, half requests and abrupt disconnects. Every server stays up and
// still answers a good request. The stress task runs the long version
// (stress/server_fuzz.ts). Set AIO_FUZZ_SEED to replay a run.
import { deepEqual } from "node:assert/strict";
import { app, runner } from "../../mod.ts";
import { prng } from "../fuzz/_config_fuzz.ts";
import {
  checkAll,
  fuzzConfig,
  fuzzServers,
  targetsOf,
} from "../../stress/_server_fuzz.ts";

Deno.test("every server kind survives random bytes and abrupt disconnects", async () => {
  const seed = Number(Deno.env.get("AIO_FUZZ_SEED") ?? Date.now() % 2 ** 31);
  const dir = await Deno.makeTempDir({ prefix: "aio_fuzz_" });
  try {
    await runner(["run"], { configString: fuzzConfig(`${dir}/echo.sock`) });
    const targets = targetsOf(app.servers);
    deepEqual(
      await checkAll(targets),
      [],
      "all servers answer before the fuzz",
    );
    const random = prng(seed);
    const { counts, failures } = await fuzzServers(targets, random, {
      until: (round) => round >= 4,
      perRound: 50,
    });
    deepEqual(failures, [], `seed ${seed} (replay with AIO_FUZZ_SEED=${seed})`);
    deepEqual(counts.cases, 200);
  } finally {
    await app.clear();
    await Deno.remove(dir, { recursive: true });
  }
});
