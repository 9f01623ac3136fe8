/**
 * What a way of delivering sd_notify datagrams looks like to the notifier.
 *
 * @module
 */

/** The ways aio can reach systemd's notify socket, in the order it tries them. */
export type NotifyRouteName = "native" | "ffi" | "helper";

/** One way of delivering datagrams to the notify socket. */
export interface NotifyRoute {
  /** Which route this is. */
  readonly name: NotifyRouteName;
  /** Whether systemd sees the datagrams come from this process (else from a helper's pid). */
  readonly fromOwnPid: boolean;
  /** Sends one datagram; rejects with what went wrong. */
  send(message: string): Promise<void>;
  /** Releases what the route holds. */
  close(): Promise<void>;
}

/** Thrown by a route that cannot serve this process: the notifier tries the next one. */
export class RouteUnavailable extends Error {
  /** Why the route cannot be used. */
  constructor(reason: string) {
    super(reason);
    this.name = "RouteUnavailable";
  }
}

/** The notify socket address: a path, or an abstract name (written `@name`). */
export interface NotifyAddress {
  /** The text of NOTIFY_SOCKET. */
  text: string;
  /** True for `@name` (Linux's abstract namespace). */
  abstract: boolean;
}

/** Reads NOTIFY_SOCKET as sd_notify does: `@` starts an abstract name; otherwise an absolute path. */
export function parseNotifyAddress(text: string): NotifyAddress | undefined {
  if (text.startsWith("@") && text.length > 1) return { text, abstract: true };
  if (text.startsWith("/")) return { text, abstract: false };
  return undefined;
}
