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
  const local = localAddress(hostname, port);
  const inodes = new Set(
    tcpSockets().filter((socket) =>
      socket.state === LISTEN &&
      (local ? socket.local === local : socket.port === port)
    ).map((socket) => socket.inode),
  );
  if (inodes.size === 0) return undefined;
  for (const [fd, inode] of ownSocketInodes()) {
    if (inodes.has(inode)) return fd;
  }
  return undefined;
}

/**
 * How many connections this process holds on the local `ports`, in any
 * state but listening (accepted, not yet closed); undefined where `/proc`
 * cannot tell (not Linux, not `-A`). A server that left its port is done
 * with its connections when this is 0.
 *
 * @example
 * ```ts ignore
 * import { openConnections } from "./_listen_socket.ts";
 * console.log(openConnections([8080])); // 0 once every accepted connection is closed
 * ```
 */
export function openConnections(
  ports: readonly number[],
): number | undefined {
  if (Deno.build.os !== "linux" || !allGranted()) return undefined;
  const own = new Set(ownSocketInodes().values());
  return tcpSockets().filter((socket) =>
    socket.state !== LISTEN && ports.includes(socket.port) &&
    own.has(socket.inode)
  ).length;
}

/** `/proc/net/tcp`'s state of a listening socket. */
const LISTEN = "0A";

/** A row of `/proc/net/tcp` or `/proc/net/tcp6`. */
interface TcpSocket {
  /** The local address as the table writes it (`0100007F:1F90`). */
  local: string;
  /** The local port. */
  port: number;
  /** The state, in hex (`0A` is LISTEN, `01` ESTABLISHED). */
  state: string;
  /** The socket's inode (`0` for one no process holds yet). */
  inode: string;
}

/** Every TCP socket of this network namespace. */
function tcpSockets(): TcpSocket[] {
  const sockets: TcpSocket[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = Deno.readTextFileSync(table);
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      const local = fields[1];
      sockets.push({
        local,
        port: parseInt(local.slice(local.lastIndexOf(":") + 1), 16),
        state: fields[3],
        inode: fields[9],
      });
    }
  }
  return sockets;
}

/** `hostname:port` as `/proc/net/tcp` writes an IPv4 address; undefined for other hosts. */
function localAddress(hostname: string, port: number): string | undefined {
  // One little-endian hex word for the address.
  const ipv4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(hostname);
  if (!ipv4) return undefined;
  const address = ipv4.slice(1).reverse().map((byte) =>
    Number(byte).toString(16).toUpperCase().padStart(2, "0")
  ).join("");
  return `${address}:${port.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** The socket inode of each of this process's descriptors that is a socket. */
function ownSocketInodes(): Map<number, string> {
  const inodes = new Map<number, string>();
  for (const entry of Deno.readDirSync("/proc/self/fd")) {
    try {
      const target = Deno.readLinkSync(`/proc/self/fd/${entry.name}`);
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode) inodes.set(Number(entry.name), inode);
    } catch {
      // Closed meanwhile.
    }
  }
  return inodes;
}
