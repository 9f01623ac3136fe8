// 10,000 hostile documents: no crash, no hang over 1 s, every rejection a
// ConfigError with a line. Set AIO_FUZZ_SEED to replay a run.
import { deepEqual } from "node:assert/strict";
import { fuzzOne, prng, randomDocument } from "./_config_fuzz.ts";

Deno.test("the config parser survives 10,000 fuzzed documents", () => {
  const seed = Number(Deno.env.get("AIO_FUZZ_SEED") ?? Date.now() % 2 ** 31);
  const random = prng(seed);
  const failures: string[] = [];
  for (let i = 0; i < 10_000 && failures.length < 5; i++) {
    const problem = fuzzOne(randomDocument(random, i));
    if (problem) failures.push(`case ${i}: ${problem}`);
  }
  deepEqual(failures, [], `seed ${seed} (replay with AIO_FUZZ_SEED=${seed})`);
});
