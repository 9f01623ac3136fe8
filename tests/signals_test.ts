import assert from "node:assert/strict";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import { type Listener, type SignalBridge, Signals } from "../src/signals.ts";

/** Runs `fn` with LogTape sending aio's records to a list it returns. */
async function withLogs(fn: () => Promise<void>): Promise<LogRecord[]> {
  const records: LogRecord[] = [];
  await configure({
    sinks: { buffer: (record) => records.push(record) },
    loggers: [
      { category: ["aio"], sinks: ["buffer"], lowestLevel: "debug" },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
    ],
    reset: true,
  });
  try {
    await fn();
  } finally {
    await reset();
  }
  return records;
}

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => resolve = r);
  return { promise, resolve };
}

Deno.test("emit resolves to the results in listen order", async () => {
  const signals = new Signals();
  signals.listen("go", async () => {
    await new Promise((r) => setTimeout(r, 20));
    return "slow";
  });
  signals.listen("go", () => "sync");
  signals.listen("go", (_signal, message) => Promise.resolve(message));
  assert.deepEqual(await signals.emit("go", 42), ["slow", "sync", 42]);
});

Deno.test("emit passes the signal and message to a single listener", async () => {
  const signals = new Signals();
  const seen: unknown[] = [];
  signals.listen("one", (signal, message) => {
    seen.push(signal, message);
    return "done";
  });
  assert.deepEqual(await signals.emit("one", { n: 1 }), ["done"]);
  assert.deepEqual(seen, ["one", { n: 1 }]);
});

Deno.test("listeners run concurrently", async () => {
  // Each listener waits for the other to have started: run one after the
  // other, the emit would never settle.
  const signals = new Signals();
  const a = deferred();
  const b = deferred();
  signals.listen("meet", async () => {
    a.resolve();
    await b.promise;
    return "a";
  });
  signals.listen("meet", async () => {
    b.resolve();
    await a.promise;
    return "b";
  });
  assert.deepEqual(await signals.emit("meet"), ["a", "b"]);
});

Deno.test("the same listener twice on one signal counts once", async () => {
  const signals = new Signals();
  let calls = 0;
  const listener: Listener = () => ++calls;
  const other: Listener = () => "other";
  signals.listen("s", listener);
  signals.listen("s", other);
  signals.listen("s", listener);
  assert.deepEqual(signals.listeners("s"), [listener, other]);
  assert.deepEqual(await signals.emit("s"), [1, "other"]);
  assert.equal(calls, 1);
  // On another signal it is a listener of its own.
  signals.listen("t", listener);
  assert.deepEqual(await signals.emit("t"), [2]);
});

Deno.test("unlisten removes a listener and ignores unknown ones", async () => {
  const signals = new Signals();
  const first: Listener = () => 1;
  const second: Listener = () => 2;
  signals.listen("s", first);
  signals.listen("s", second);
  signals.unlisten("s", first);
  signals.unlisten("s", () => 3);
  signals.unlisten("nobody", first);
  assert.deepEqual(await signals.emit("s"), [2]);
  signals.unlisten("s", second);
  assert.deepEqual(signals.listeners("s"), []);
  assert.deepEqual(await signals.emit("s"), []);
});

Deno.test("emitting a signal nobody listens to resolves to []", async () => {
  const signals = new Signals();
  const results: unknown[] = await signals.emit("nobody", "hello");
  assert.equal(results.length, 0);
  results.push("mine");
  assert.deepEqual(await signals.emit("nobody"), []);
});

Deno.test("a throwing listener stops no other and emit rejects with its error", async () => {
  for (
    const [label, make] of [
      ["sync Error", () => () => {
        throw new Error("sync boom");
      }],
      ["async Error", () => async () => {
        await Promise.resolve();
        throw new Error("async boom");
      }],
      ["sync non-Error", () => () => {
        throw "a string";
      }],
      ["async non-Error", () => () => Promise.reject({ code: 7 })],
    ] as [string, () => Listener][]
  ) {
    const signals = new Signals();
    const thrower = make();
    const calls: string[] = [];
    signals.listen("boom", () => {
      calls.push("before");
    });
    signals.listen("boom", thrower, { name: "./app.ts#onBoom (aio.conf:12)" });
    signals.listen("boom", async () => {
      await new Promise((r) => setTimeout(r, 10));
      calls.push("after");
    });
    let caught: unknown;
    const records = await withLogs(async () => {
      caught = await signals.emit("boom", 1).then(
        () => assert.fail(`${label}: emit should reject`),
        (error) => error,
      );
    });
    assert.deepEqual(calls, ["before", "after"], label);
    const expected = await Promise.resolve().then(() => thrower("boom", 1))
      .then(() => undefined, (error) => error);
    assert.deepEqual(caught, expected, label);
    assert.equal(records.length, 1, label);
    assert.equal(records[0].level, "error");
    assert.deepEqual(records[0].category, ["aio", "signals"]);
    assert.equal(records[0].properties.signal, "boom");
    assert.equal(
      records[0].properties.listener,
      "./app.ts#onBoom (aio.conf:12)",
    );
    assert.deepEqual(records[0].properties.error, expected);
  }
});

Deno.test("a lone failing listener is logged under its function name", async () => {
  const signals = new Signals();
  async function onBoom() {
    await Promise.resolve();
    throw new Error("lone");
  }
  signals.listen("boom", onBoom);
  const records = await withLogs(async () => {
    await assert.rejects(signals.emit("boom"), { message: "lone" });
  });
  assert.equal(records.length, 1);
  assert.equal(records[0].properties.listener, "onBoom");
  assert.equal(records[0].properties.signal, "boom");
});

Deno.test("two failing listeners reject with an AggregateError of both", async () => {
  const signals = new Signals();
  const first = new Error("first");
  const second = new Error("second");
  signals.listen("boom", () => {
    throw first;
  });
  signals.listen("boom", () => "fine");
  signals.listen("boom", () => Promise.reject(second));
  const records = await withLogs(async () => {
    const error = await signals.emit("boom").catch((e) => e);
    assert.ok(error instanceof AggregateError);
    assert.deepEqual(error.errors, [first, second]);
    assert.match(error.message, /2 listeners for boom failed/);
  });
  assert.equal(records.length, 2);
});

Deno.test("listening or unlistening during an emit does not change that emit", async () => {
  const signals = new Signals();
  const late: Listener = () => "late";
  const removed: Listener = () => "removed";
  signals.listen("s", () => {
    signals.listen("s", late);
    signals.unlisten("s", removed);
    return "first";
  });
  signals.listen("s", removed);
  assert.deepEqual(await signals.emit("s"), ["first", "removed"]);
  assert.deepEqual(signals.listeners("s").length, 2);
  assert.deepEqual(await signals.emit("s"), ["first", "late"]);
});

Deno.test("a single listener listening to its own signal during emit is called once", async () => {
  const signals = new Signals();
  let calls = 0;
  const other: Listener = () => "other";
  signals.listen("s", () => {
    calls++;
    signals.listen("s", other);
    return "self";
  });
  assert.deepEqual(await signals.emit("s"), ["self"]);
  assert.equal(calls, 1);
});

Deno.test("listeners() is a snapshot in listen order", () => {
  const signals = new Signals();
  const a: Listener = () => "a";
  const b: Listener = () => "b";
  signals.listen("s", a);
  const before = signals.listeners("s");
  signals.listen("s", b);
  assert.deepEqual(before, [a]);
  assert.deepEqual(signals.listeners("s"), [a, b]);
  assert.deepEqual(signals.listeners("other"), []);
});

Deno.test("clear removes every listener", async () => {
  const signals = new Signals();
  signals.listen("a", () => 1);
  signals.listen("b", () => 2);
  signals.clear();
  assert.deepEqual(await signals.emit("a"), []);
  assert.deepEqual(signals.listeners("b"), []);
});

Deno.test("10,000 listeners on one signal all run, in order", async () => {
  const signals = new Signals();
  for (let i = 0; i < 10_000; i++) {
    signals.listen("many", i % 2 ? () => i : () => Promise.resolve(i));
  }
  const results = await signals.emit("many");
  assert.equal(results.length, 10_000);
  assert.equal(results[9_999], 9_999);
  assert.ok(results.every((value, i) => value === i));
});

/** A bridge that matches `order-*` and records what it was given. */
class RecordingBridge implements SignalBridge {
  published: [string, unknown][] = [];
  matched: string[] = [];
  interest: string[] = [];
  next: () => Promise<void> = () => Promise.resolve();
  matches(signal: string): boolean {
    this.matched.push(signal);
    return signal.startsWith("order-");
  }
  publish(signal: string, message: unknown): Promise<void> {
    this.published.push([signal, message]);
    return this.next();
  }
  listening(signal: string): void {
    this.interest.push(`+${signal}`);
  }
  unlistening(signal: string): void {
    this.interest.push(`-${signal}`);
  }
}

Deno.test("bridge: a matching signal is published and heard locally; emit waits for both", async () => {
  const signals = new Signals();
  const bridge = new RecordingBridge();
  signals.setBridge(bridge);
  const sent = deferred();
  bridge.next = () => sent.promise;
  const heard: unknown[] = [];
  signals.listen("order-created", (_signal, message) => {
    heard.push(message);
    return "local";
  });
  let settled = false;
  const emit = signals.emit("order-created", { id: 1 }).finally(() =>
    settled = true
  );
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(heard, [{ id: 1 }], "the local listener ran at once");
  assert.equal(settled, false, "emit waited for the publish");
  sent.resolve();
  assert.deepEqual(await emit, ["local"]);
  assert.deepEqual(bridge.published, [["order-created", { id: 1 }]]);
});

Deno.test("bridge: other signals never reach it; deliver never publishes", async () => {
  const signals = new Signals();
  const bridge = new RecordingBridge();
  signals.setBridge(bridge);
  const heard: unknown[] = [];
  signals.listen("user-created", () => "u");
  signals.listen(
    "order-created",
    (_signal, message) => void heard.push(message),
  );
  assert.deepEqual(await signals.emit("user-created"), ["u"]);
  signals.deliver("order-created", 2);
  assert.deepEqual(heard, [2]);
  assert.deepEqual(bridge.published, []);
  // With nobody listening here, a matching signal still goes out.
  assert.deepEqual(await signals.emit("order-nobody", 3), []);
  assert.deepEqual(bridge.published, [["order-nobody", 3]]);
});

Deno.test("deliver calls every listener, waits for none, and logs each failure", async () => {
  const signals = new Signals();
  const calls: string[] = [];
  const slow = deferred();
  signals.listen("s", () => {
    calls.push("sync");
    throw new Error("sync boom");
  }, { name: "./a.ts#sync" });
  signals.listen("s", async () => {
    calls.push("async");
    await slow.promise;
    throw new Error("async boom");
  }, { name: "./a.ts#async" });
  signals.listen("s", (_signal, message) => void calls.push(`got ${message}`));
  const records = await withLogs(async () => {
    assert.equal(signals.deliver("s", 1), undefined);
    assert.deepEqual(calls, ["sync", "async", "got 1"]);
    signals.deliver("nobody", 1);
    slow.resolve();
    await new Promise((resolve) => setTimeout(resolve, 10));
  });
  assert.deepEqual(
    records.map((record) => [record.level, record.properties.listener]),
    [["error", "./a.ts#sync"], ["error", "./a.ts#async"]],
  );
});

Deno.test("bridge: a publish that throws rejects the emit before any listener runs", async () => {
  const signals = new Signals();
  const bridge = new RecordingBridge();
  bridge.publish = () => {
    throw new TypeError("message.at is a Date, not a JSON value");
  };
  signals.setBridge(bridge);
  let calls = 0;
  signals.listen("order-created", () => calls++);
  await assert.rejects(
    signals.emit("order-created", { at: new Date() }),
    new TypeError("message.at is a Date, not a JSON value"),
  );
  assert.equal(calls, 0);
});

Deno.test("bridge: a publish that rejects rejects the emit after the listeners ran", async () => {
  const signals = new Signals();
  const bridge = new RecordingBridge();
  bridge.next = () => Promise.reject(new Error("queue full"));
  signals.setBridge(bridge);
  let calls = 0;
  signals.listen("order-created", () => calls++);
  await assert.rejects(signals.emit("order-created"), /queue full/);
  assert.equal(calls, 1);
});

Deno.test("bridge: a listener's error wins over the publish's, which is not left unhandled", async () => {
  const signals = new Signals();
  const bridge = new RecordingBridge();
  bridge.next = () => Promise.reject(new Error("publish failed"));
  signals.setBridge(bridge);
  signals.listen("order-created", async () => {
    await new Promise((resolve) => setTimeout(resolve, 10));
    throw new Error("listener failed");
  });
  const records = await withLogs(async () => {
    await assert.rejects(signals.emit("order-created"), /listener failed/);
    // An unhandled rejection would fail this test when the timers run.
    await new Promise((resolve) => setTimeout(resolve, 10));
  });
  assert.equal(records.length, 1);
});

Deno.test("bridge: setBridge(undefined) makes every signal local again", async () => {
  const signals = new Signals();
  const bridge = new RecordingBridge();
  signals.setBridge(bridge);
  signals.setBridge(undefined);
  signals.listen("order-created", () => "o");
  assert.deepEqual(await signals.emit("order-created"), ["o"]);
  assert.deepEqual(bridge.matched, []);
  assert.deepEqual(bridge.published, []);
});

Deno.test("bridge: hears which signals have listeners here, and when that changes", () => {
  const signals = new Signals();
  const a: Listener = () => "a";
  const b: Listener = () => "b";
  signals.listen("order-created", a);
  signals.listen("user-created", a);
  const bridge = new RecordingBridge();
  signals.setBridge(bridge);
  assert.deepEqual(bridge.interest, ["+order-created", "+user-created"]);
  bridge.interest = [];
  signals.listen("order-created", b); // not the first listener
  signals.listen("order-paid", b);
  signals.unlisten("order-created", a); // not the last one
  signals.unlisten("order-created", b);
  signals.unlisten("order-created", b); // not there any more
  signals.clear();
  assert.deepEqual(bridge.interest, [
    "+order-paid",
    "-order-created",
    "-user-created",
    "-order-paid",
  ]);
});
