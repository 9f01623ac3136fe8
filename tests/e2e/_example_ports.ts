// The examples listen on fixed ports (8888, 8889, 8080, 9999), as their
// aio.conf files say. Tests that run them hold this lock, so test files
// running in parallel (and other checkouts' test runs) take turns.

const LOCK = `${Deno.env.get("TMPDIR") ?? "/tmp"}/aio-example-ports.lock`;

/** Runs `fn` while holding the examples' ports. */
export async function withExamplePorts<T>(fn: () => Promise<T>): Promise<T> {
  const file = await Deno.open(LOCK, { create: true, write: true });
  try {
    await file.lock(true);
    return await fn();
  } finally {
    file.close();
  }
}

/** Resolves with what `poll` returns once it is not undefined; rejects after `ms`. */
export async function eventually<T>(
  what: string,
  poll: () => Promise<T | undefined> | T | undefined,
  ms = 10_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await poll();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
