/**
 * The handlers of bench/workers_http.ts: `burn` does a fixed amount of CPU
 * work per request (BURN_ITERATIONS rounds of a hash, about 1 ms on the dev
 * machine: the bench calibrates it), `hello` none. The default export is
 * the same `burn` for `deno serve`.
 */

const iterations = Number(Deno.env.get("BURN_ITERATIONS") ?? "200000");

/**
 * `rounds` rounds of FNV-1a over a counter: CPU work the JIT cannot skip.
 * Kept in int32 (`| 0`) so V8 never meets a value outside it: with `>>> 0`
 * it deoptimised the loop under load in `deno serve` (1 ms became 7 ms).
 */
export function work(rounds: number): number {
  let hash = 2166136261 | 0;
  for (let i = 0; i < rounds; i++) {
    hash ^= i & 0xff;
    hash = Math.imul(hash, 16777619) | 0;
  }
  return hash;
}

/** About 1 ms of CPU, then a short answer. */
export function burn(): Response {
  return new Response(`${work(iterations)}\n`);
}

/** A short answer. */
export function hello(): Response {
  return new Response("Hello, world!\n");
}

export default {
  fetch: () => Deno.env.get("BENCH_HANDLER") === "hello" ? hello() : burn(),
};
