/**
 * Hooks for metrics: a {@linkcode ServerObserver} given to `startServers`
 * hears about connections and responses as they happen. The server layer
 * imports no metrics code; with no observer, a hook costs one check of an
 * undefined field.
 *
 * @module
 */

/**
 * What the servers aio starts report, each call naming the server (NAME
 * from `[server/NAME]`). Every hook is optional; a hook must not throw
 * (what it throws is not caught) and must be quick (it runs on the
 * server's path).
 *
 * @example Counting connections
 * ```ts
 * import type { ServerObserver } from "./observer.ts";
 * const open = new Map<string, number>();
 * const observer: ServerObserver = {
 *   connectionOpened: (server) => open.set(server, (open.get(server) ?? 0) + 1),
 *   connectionClosed: (server) => open.set(server, (open.get(server) ?? 0) - 1),
 * };
 * ```
 */
export interface ServerObserver {
  /** A tcp, unix or tls connection was accepted and given a protocol instance. */
  connectionOpened?(server: string): void;
  /** A connection that `connectionOpened` reported has closed. */
  connectionClosed?(server: string): void;
  /** `accept()` failed (out of file descriptors, say); aio waits and tries again. */
  acceptFailed?(server: string): void;
  /** An HTTP handler's response (or the 500 for a handler that failed) is on its way. */
  httpResponse?(server: string, status: number): void;
}

/** The observer a server reports to, and the name it reports under. */
export interface ObserverOptions {
  /** The observer; none by default. */
  observer?: ServerObserver;
  /** The name hooks get (NAME from `[server/NAME]`); default the server's `name`. */
  observedName?: string;
}
