/**
 * Taking a listening TCP socket out of its port while the connections it
 * accepted go on: `shutdown(fd, SHUT_RD)` through libc. Linux then removes
 * the socket from its SO_REUSEPORT group (the other processes bound there
 * get every new connection, and, with `net.ipv4.tcp_migrate_req = 1`, the
 * ones still queued on this socket), and the accept loop ends.
 *
 * Deno.serve offers no way to stop accepting apart from its graceful
 * shutdown, which also closes every connection it accepted but has not read
 * a request from yet: a client that had just connected sees its connection
 * closed. Stopping the listener first and shutting down a moment later lets
 * those connections read their request.
 *
 * It needs Linux, `/proc` (which Deno lets only `-A` read) and
 * `--allow-ffi`; elsewhere it does nothing and says so.
 *
 * @module
 */

import { allGranted } from "../daemon/_proc.ts";

const SHUT_RD = 0;

/**
 * Shuts the read side of this process's listening TCP socket on
 * `hostname:port`.
 *
 * @returns Whether it did (false where it cannot: not Linux, not `-A`, no
 * such socket).
 */
export function shutdownListeningSocket(
  hostname: string,
  port: number,
): boolean {
  if (Deno.build.os !== "linux" || !allGranted()) return false;
  const fd = listeningFd(hostname, port);
  if (fd === undefined) return false;
  let libc:
    | Deno.DynamicLibrary<{
      shutdown: { parameters: ["i32", "i32"]; result: "i32" };
    }>
    | undefined;
  try {
    libc = Deno.dlopen("libc.so.6", {
      shutdown: { parameters: ["i32", "i32"], result: "i32" },
    });
    return libc.symbols.shutdown(fd, SHUT_RD) === 0;
  } catch {
    return false;
  } finally {
    libc?.close();
  }
}

/** The descriptor of this process's listening socket on `hostname:port`, found through `/proc`. */
function listeningFd(hostname: string, port: number): number | undefined {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  // /proc/net/tcp writes an IPv4 address as one little-endian hex word.
  const ipv4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(hostname);
  const local = ipv4
    ? `${
      ipv4.slice(1).reverse().map((byte) =>
        Number(byte).toString(16).toUpperCase().padStart(2, "0")
      ).join("")
    }:${hexPort}`
    : undefined;
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = Deno.readTextFileSync(table);
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      // sl local_address rem_address st ... inode: 0A is LISTEN.
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== "0A") continue;
      const matches = local
        ? fields[1] === local
        : fields[1].endsWith(`:${hexPort}`);
      if (matches) inodes.add(fields[9]);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const entry of Deno.readDirSync("/proc/self/fd")) {
    try {
      const target = Deno.readLinkSync(`/proc/self/fd/${entry.name}`);
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode && inodes.has(inode)) return Number(entry.name);
    } catch {
      // Closed meanwhile.
    }
  }
  return undefined;
}
