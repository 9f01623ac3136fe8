/**
 * Signals (SPEC 4): named events whose listeners run concurrently.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";

const logger = getLogger(["aio", "signals"]);

/**
 * A function called with a signal's name and the message emitted with it;
 * what it returns (or resolves to) is its result in `emit`'s array.
 *
 * @example A listener a config names
 * ```ts
 * import type { Listener } from "@aio/app";
 * // [listen/greetings]
 * // greet = ./app.ts#onGreet
 * export const onGreet: Listener = (signal, message) => `${signal}: ${message}`;
 * ```
 */
export type Listener = (
  signal: string,
  message: unknown,
) => unknown | Promise<unknown>;

/** Options for {@linkcode Signals.listen}. */
export interface ListenOptions {
  /**
   * The name that logs use for this listener, such as the config reference
   * it came from (`./app.ts#onBoom (aio.conf:12)`); the function's own name
   * by default.
   */
  name?: string;
}

/**
 * What {@linkcode Signals} needs to send some signals to other processes
 * too; aio's cluster layer implements it on NATS.
 */
export interface SignalBridge {
  /**
   * Whether `signal` goes to other processes. Called on each emit while the
   * bridge is set, so it should be cheap.
   */
  matches(signal: string): boolean;
  /**
   * Sends `message` to the other processes. Throws, before sending
   * anything, for a message it cannot send; the emit then rejects with that
   * error and no listener runs. The emit waits for the returned promise
   * after its listeners, and rejects with its error if it rejects.
   */
  publish(signal: string, message: unknown): Promise<void>;
  /**
   * Called when `signal` gets its first listener here, and, when the
   * bridge is set, for each signal that has listeners: the bridge needs to
   * receive that signal from other processes.
   */
  listening(signal: string): void;
  /** Called when `signal` loses its last listener here (`clear` included). */
  unlistening(signal: string): void;
}

/**
 * Hears about every emit and every failing listener, for metrics. The
 * hooks run on the emit's path: they must be quick and must not throw.
 * With no observer set, an emit pays one check of an undefined field.
 */
export interface SignalObserver {
  /** {@linkcode Signals.emit} was called for `signal` (whether or not anyone listens). */
  emitted(signal: string): void;
  /** A listener of `signal` threw or rejected (in an emit or a delivery). */
  listenerFailed(signal: string): void;
}

/**
 * The listeners of one signal. `order` is rebuilt only after a change, so an
 * emit takes it without copying, and a change made during an emit makes a
 * new array instead of touching the one that emit holds.
 */
interface SignalListeners {
  names: Map<Listener, string | undefined>;
  order: Listener[] | null;
}

/**
 * A registry of signal listeners.
 *
 * @example Listening and emitting
 * ```ts
 * import { Signals } from "@aio/app";
 * const signals = new Signals();
 * signals.listen("greet", (_signal, message) => `hello ${message}`);
 * console.log(await signals.emit("greet", "world")); // ["hello world"]
 * ```
 */
export class Signals {
  #signals = new Map<string, SignalListeners>();
  #bridge: SignalBridge | undefined;
  #observer: SignalObserver | undefined;

  /**
   * Tells `observer` about every emit and every listener that fails (aio's
   * metrics use it); `undefined` removes it.
   *
   * @param observer The observer, or `undefined` for none.
   * @ignore
   */
  setObserver(observer: SignalObserver | undefined): void {
    this.#observer = observer;
  }

  /**
   * Sends the signals that `bridge` matches to other processes as well:
   * {@linkcode Signals.emit} publishes them through the bridge and runs the
   * local listeners. Messages from other processes come in through
   * {@linkcode Signals.deliver}. The bridge hears of every signal that has
   * listeners (see {@linkcode SignalBridge.listening}). `undefined` removes
   * the bridge.
   *
   * @param bridge The bridge, or `undefined` for none.
   * @ignore
   */
  setBridge(bridge: SignalBridge | undefined): void {
    this.#bridge = bridge;
    if (bridge === undefined) return;
    for (const signal of this.#signals.keys()) bridge.listening(signal);
  }

  /**
   * Adds `listener` to `signal`. A listener already there stays where it is
   * and keeps its first name.
   *
   * @param signal The signal's name.
   * @param listener The function to call on each emit.
   * @param options `name` for logs.
   */
  listen(signal: string, listener: Listener, options: ListenOptions = {}) {
    let entry = this.#signals.get(signal);
    if (entry === undefined) {
      entry = { names: new Map(), order: null };
      this.#signals.set(signal, entry);
    }
    if (entry.names.has(listener)) return;
    entry.names.set(listener, options.name);
    entry.order = null;
    if (entry.names.size === 1) this.#bridge?.listening(signal);
  }

  /**
   * Removes `listener` from `signal`; nothing happens if it is not there.
   *
   * @param signal The signal's name.
   * @param listener The function given to {@linkcode Signals.listen}.
   */
  unlisten(signal: string, listener: Listener) {
    const entry = this.#signals.get(signal);
    if (entry === undefined || !entry.names.delete(listener)) return;
    if (entry.names.size > 0) {
      entry.order = null;
      return;
    }
    this.#signals.delete(signal);
    this.#bridge?.unlistening(signal);
  }

  /**
   * The listeners of `signal`, in listen order.
   *
   * @param signal The signal's name.
   * @returns A snapshot that later changes do not touch.
   */
  listeners(signal: string): readonly Listener[] {
    const entry = this.#signals.get(signal);
    return entry === undefined ? [] : orderOf(entry);
  }

  /**
   * Calls every listener of `signal` at once and waits for all of them.
   * Listeners added or removed meanwhile do not change this emit.
   *
   * @example A failing listener
   * ```ts
   * import { Signals } from "@aio/app";
   * const signals = new Signals();
   * signals.listen("boom", () => { throw new Error("no"); });
   * signals.listen("boom", () => "still called");
   * await signals.emit("boom").catch((error) => console.log(error.message)); // "no"
   * ```
   *
   * When a bridge is set (see {@linkcode Signals.setBridge}) and matches
   * `signal`, the message is also published through it, and the emit
   * settles once both the listeners and the publish have.
   *
   * @param signal The signal's name.
   * @param message Handed to each listener.
   * @returns The listeners' results, in listen order; `[]` when nobody
   * listens. Rejects with a listener's error, or an `AggregateError` when
   * several fail; each failure is logged.
   */
  emit(signal: string, message?: unknown): Promise<unknown[]> {
    const observer = this.#observer;
    if (observer !== undefined) observer.emitted(signal);
    const bridge = this.#bridge;
    if (bridge !== undefined && bridge.matches(signal)) {
      return this.#emitBridged(bridge, signal, message);
    }
    return this.#emitLocal(signal, message);
  }

  /**
   * Calls the listeners of `signal` in this process only, for a message
   * that came from another process, and does not wait for them: a
   * listener's failure is logged, as by {@linkcode Signals.emit}, and goes
   * nowhere else.
   *
   * @param signal The signal's name.
   * @param message Handed to each listener.
   * @ignore
   */
  deliver(signal: string, message?: unknown): void {
    const entry = this.#signals.get(signal);
    if (entry === undefined) return;
    const observer = this.#observer;
    for (const listener of orderOf(entry)) {
      try {
        const result = listener(signal, message);
        if (isThenable(result)) {
          result.then(
            undefined,
            (error) =>
              logFailure(
                signal,
                listener,
                entry.names.get(listener),
                error,
                observer,
              ),
          );
        }
      } catch (error) {
        logFailure(
          signal,
          listener,
          entry.names.get(listener),
          error,
          observer,
        );
      }
    }
  }

  #emitLocal(signal: string, message: unknown): Promise<unknown[]> {
    const entry = this.#signals.get(signal);
    if (entry === undefined) return Promise.resolve([]);
    const order = orderOf(entry);
    if (order.length === 1) {
      return emitOne(order[0], entry.names, signal, message, this.#observer);
    }
    return emitMany(order, entry.names, signal, message, this.#observer);
  }

  /** Removes every listener of every signal. */
  clear() {
    const signals = [...this.#signals.keys()];
    this.#signals.clear();
    for (const signal of signals) this.#bridge?.unlistening(signal);
  }

  #emitBridged(
    bridge: SignalBridge,
    signal: string,
    message: unknown,
  ): Promise<unknown[]> {
    let published: Promise<void>;
    try {
      published = bridge.publish(signal, message);
    } catch (error) {
      return Promise.reject(error);
    }
    // Senders often have no listener of their own: one promise, not three.
    if (!this.#signals.has(signal)) return published.then(noResults);
    // Marked handled now: a listener's error is the one emit reports first.
    published.catch(ignore);
    return this.#emitLocal(signal, message).then(
      (results) => published.then(() => results),
    );
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}

function noResults(): unknown[] {
  return [];
}

function ignore(): void {}

function orderOf(entry: SignalListeners): Listener[] {
  return entry.order ??= [...entry.names.keys()];
}

// The common case of one listener skips the bookkeeping of emitMany.
async function emitOne(
  listener: Listener,
  names: Map<Listener, string | undefined>,
  signal: string,
  message: unknown,
  observer: SignalObserver | undefined,
): Promise<unknown[]> {
  try {
    return [await listener(signal, message)];
  } catch (error) {
    logFailure(signal, listener, names.get(listener), error, observer);
    throw error;
  }
}

async function emitMany(
  order: Listener[],
  names: Map<Listener, string | undefined>,
  signal: string,
  message: unknown,
  observer: SignalObserver | undefined,
): Promise<unknown[]> {
  // Start every listener before waiting on any, so they run concurrently.
  // Each failure is logged when it happens, not when the last listener
  // settles: one that hangs must not hide another's error.
  const pending: unknown[] = new Array(order.length);
  for (let i = 0; i < order.length; i++) {
    const listener = order[i];
    const fail = (error: unknown) => {
      logFailure(signal, listener, names.get(listener), error, observer);
      throw error;
    };
    try {
      const result = listener(signal, message);
      pending[i] = isThenable(result)
        ? Promise.resolve(result).catch(fail)
        : result;
    } catch (error) {
      logFailure(signal, listener, names.get(listener), error, observer);
      pending[i] = Promise.reject(error);
    }
  }
  const settled = await Promise.allSettled(pending);
  const results: unknown[] = new Array(settled.length);
  const errors: unknown[] = [];
  for (let i = 0; i < settled.length; i++) {
    const outcome = settled[i];
    if (outcome.status === "fulfilled") results[i] = outcome.value;
    else errors.push(outcome.reason);
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) {
    throw new AggregateError(
      errors,
      `${errors.length} listeners for ${signal} failed`,
    );
  }
  return results;
}

function logFailure(
  signal: string,
  listener: Listener,
  name: string | undefined,
  error: unknown,
  observer: SignalObserver | undefined,
) {
  observer?.listenerFailed(signal);
  logger.error("Listener {listener} for {signal} failed: {error}", {
    listener: name ?? (listener.name || "<anonymous>"),
    signal,
    error,
  });
}
