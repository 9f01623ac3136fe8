/**
 * sd_notify through Deno's own unix datagram sockets (`--unstable-net`):
 * bind a socket of our own, send to NOTIFY_SOCKET. Paths only: Deno has
 * no abstract socket addresses.
 *
 * @module
 */

import { granted, readEnv } from "./_permissions.ts";
import {
  type NotifyAddress,
  type NotifyRoute,
  RouteUnavailable,
} from "./_route.ts";

type DatagramConn = Deno.DatagramConn;
type ListenDatagram = (options: {
  transport: "unixpacket";
  path: string;
}) => DatagramConn;

/** The name of the sending socket inside `$RUNTIME_DIRECTORY`. */
export const NATIVE_SOCKET_NAME = "notify.sock";

/**
 * Opens the native route: throws {@linkcode RouteUnavailable} without
 * `--unstable-net`, for an abstract address, or without the permissions
 * (checked first, so nothing prompts).
 *
 * The sending socket is `$RUNTIME_DIRECTORY/notify.sock` when systemd gave
 * the unit a RuntimeDirectory (a fixed path that `--allow-net=unix:...` can
 * name), else a new temporary directory's.
 */
export function openNativeRoute(address: NotifyAddress): NotifyRoute {
  const listen = (Deno as unknown as { listenDatagram?: ListenDatagram })
    .listenDatagram;
  if (typeof listen !== "function") {
    throw new RouteUnavailable("Deno's unix datagrams need --unstable-net");
  }
  if (address.abstract) {
    throw new RouteUnavailable("Deno cannot send to an abstract socket");
  }
  const runtimeDir = readEnv("RUNTIME_DIRECTORY")?.split(":")[0];
  let tempDir: string | undefined;
  let dir = runtimeDir;
  if (!dir) {
    if (!granted({ name: "write" })) {
      throw new RouteUnavailable(
        "no RUNTIME_DIRECTORY, and no write access for a temporary socket",
      );
    }
    dir = tempDir = Deno.makeTempDirSync({ prefix: "aio-notify-" });
  }
  const path = `${dir}/${NATIVE_SOCKET_NAME}`;
  const target = address.text;
  const missing = [
    { name: "net", host: `unix:${path}` },
    { name: "net", host: `unix:${target}` },
    { name: "read", path },
    { name: "write", path },
    { name: "write", path: target },
  ].filter((descriptor) => !granted(descriptor as Deno.PermissionDescriptor));
  if (missing.length > 0) {
    removeQuietly(tempDir ?? path, tempDir !== undefined);
    throw new RouteUnavailable(
      `not permitted: ${missing.map((d) => JSON.stringify(d)).join(", ")}`,
    );
  }
  // A socket left by a process that died holds the name; it is ours to replace.
  removeQuietly(path, false);
  let conn: DatagramConn;
  try {
    conn = listen({ transport: "unixpacket", path });
  } catch (error) {
    if (tempDir) removeQuietly(tempDir, true);
    throw new RouteUnavailable(`cannot bind ${path}: ${message(error)}`);
  }
  const encoder = new TextEncoder();
  const to = { transport: "unixpacket" as const, path: target };
  return {
    name: "native",
    fromOwnPid: true,
    async send(text: string): Promise<void> {
      await conn.send(encoder.encode(text), to);
    },
    close(): Promise<void> {
      try {
        conn.close();
      } catch {
        // Closed already.
      }
      removeQuietly(tempDir ?? path, tempDir !== undefined);
      return Promise.resolve();
    },
  };
}

function removeQuietly(path: string, recursive: boolean): void {
  try {
    Deno.removeSync(path, { recursive });
  } catch {
    // Not there, or not ours to remove.
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
