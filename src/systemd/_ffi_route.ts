/**
 * sd_notify through libc's `sendto` (`--allow-ffi`, no unstable flag):
 * from this process's own pid, to a path or an abstract socket, never
 * blocking (`SOCK_NONBLOCK`: a full queue is an error, not a wait).
 *
 * @module
 */

import { errno, errnoName, loadLibc } from "./_libc.ts";
import {
  type NotifyAddress,
  type NotifyRoute,
  RouteUnavailable,
} from "./_route.ts";

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const MSG_NOSIGNAL = 0x4000;
const SUN_PATH_MAX = 108;

/** Opens the FFI route; throws {@linkcode RouteUnavailable} without FFI or with an address that does not fit. */
export function openFfiRoute(address: NotifyAddress): NotifyRoute {
  const libc = loadLibc();
  if (!libc) throw new RouteUnavailable("FFI is not granted (--allow-ffi)");
  const sockaddr = socketAddress(address);
  const fd = libc.socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw new RouteUnavailable(`socket() failed: ${errnoName(errno(libc))}`);
  }
  const encoder = new TextEncoder();
  let open = true;
  return {
    name: "ffi",
    fromOwnPid: true,
    send(text: string): Promise<void> {
      if (!open) return Promise.reject(new Error("the route is closed"));
      const data = encoder.encode(text);
      const sent = libc.sendto(
        fd,
        data,
        BigInt(data.length),
        MSG_NOSIGNAL,
        sockaddr,
        sockaddr.length,
      );
      if (Number(sent) < 0) {
        return Promise.reject(
          new Error(
            `sendto ${address.text} failed: ${errnoName(errno(libc))}`,
          ),
        );
      }
      return Promise.resolve();
    },
    close(): Promise<void> {
      if (open) libc.close(fd);
      open = false;
      return Promise.resolve();
    },
  };
}

/** `struct sockaddr_un` for the address, cut to its used length as sd_notify does. */
function socketAddress(address: NotifyAddress): Uint8Array {
  const name = new TextEncoder().encode(
    address.abstract ? address.text.slice(1) : address.text,
  );
  // An abstract name starts with a NUL and has none at the end; a path ends with one.
  if (name.length + 1 > SUN_PATH_MAX) {
    throw new RouteUnavailable(`NOTIFY_SOCKET is too long: ${address.text}`);
  }
  const bytes = new Uint8Array(2 + name.length + 1);
  new Uint16Array(bytes.buffer, 0, 1)[0] = AF_UNIX; // sa_family_t, native byte order
  bytes.set(name, address.abstract ? 3 : 2);
  return bytes;
}
