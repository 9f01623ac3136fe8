// The parser fuzz loop, in a worker so the main thread can watch for a hang:
// it posts its progress at least every 100 ms while it is not stuck.
import { fuzzOne, prng, randomDocument } from "../tests/fuzz/_config_fuzz.ts";

/** What the worker posts: progress, and each problem found. */
export type FuzzMessage =
  | { kind: "progress"; cases: number; slowestMs: number }
  | { kind: "problem"; case: number; problem: string }
  | { kind: "done"; cases: number; slowestMs: number };

// Typed as a worker scope: Deno's default lib knows only the window.
const scope = self as unknown as {
  onmessage: ((event: MessageEvent) => void) | null;
  postMessage(message: unknown): void;
};

scope.onmessage = (event: MessageEvent<{ seed: number; ms: number }>) => {
  const { seed, ms } = event.data;
  const random = prng(seed);
  const post = (message: FuzzMessage) => scope.postMessage(message);
  const end = performance.now() + ms;
  let lastPost = 0;
  let slowestMs = 0;
  let cases = 0;
  let problems = 0;
  while (performance.now() < end && problems < 20) {
    const started = performance.now();
    const problem = fuzzOne(randomDocument(random, cases));
    const took = performance.now() - started;
    if (took > slowestMs) slowestMs = took;
    if (problem) {
      problems++;
      post({ kind: "problem", case: cases, problem });
    }
    cases++;
    if (performance.now() - lastPost > 100) {
      lastPost = performance.now();
      post({ kind: "progress", cases, slowestMs });
    }
  }
  post({ kind: "done", cases, slowestMs });
};
