// A real notify socket for tests, as systemd binds it: a unix datagram
// socket with SO_PASSCRED, so each datagram arrives with its sender's pid.
// Python binds it (the test process runs without --unstable-net) and prints
// one JSON line per datagram.

/** One datagram as the socket received it. */
export interface Datagram {
  /** The sender's pid (SCM_CREDENTIALS). */
  pid: number;
  /** The payload. */
  data: string;
  /** CLOCK_MONOTONIC at receipt, in µs. */
  mono: number;
}

const SCRIPT = String.raw`
import json, os, socket, struct, sys, time
address = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind("\0" + address[1:] if address.startswith("@") else address)
print(json.dumps({"bound": True}), flush=True)
while True:
    data, ancillary, _flags, _addr = s.recvmsg(4096, socket.CMSG_SPACE(64) + socket.CMSG_SPACE(12))
    mono = time.monotonic_ns() // 1000
    pid = -1
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", payload[:12])[0]
        elif level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            # systemd-notify's barrier: it waits until the manager closes this fd.
            for fd in struct.unpack("%di" % (len(payload) // 4), payload[:len(payload) // 4 * 4]):
                os.close(fd)
    print(json.dumps({"pid": pid, "data": data.decode(), "mono": mono}), flush=True)
`;

/** A bound notify socket and what arrived on it. */
export class NotifySocket {
  /** The NOTIFY_SOCKET value: a path, or `@name`. */
  readonly address: string;
  readonly datagrams: Datagram[] = [];
  readonly #child: Deno.ChildProcess;
  readonly #waiters: { check: () => boolean; resolve: () => void }[] = [];
  readonly #reading: Promise<void>;
  #bound!: () => void;
  readonly bound: Promise<void>;

  private constructor(address: string) {
    this.address = address;
    this.bound = new Promise((resolve) => this.#bound = resolve);
    this.#child = new Deno.Command("/usr/bin/python3", {
      args: ["-c", SCRIPT, address],
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#reading = this.#read();
  }

  /** Binds a socket at `address` (a path, or `@name` for an abstract one). */
  static async bind(address: string): Promise<NotifySocket> {
    const socket = new NotifySocket(address);
    await socket.bound;
    return socket;
  }

  /** Resolves once a datagram satisfies `check` (at most `ms`, default 10 s). */
  waitFor(check: (datagram: Datagram) => boolean, ms = 10_000): Promise<void> {
    const test = () => this.datagrams.some(check);
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `no such datagram within ${ms} ms; got ${
                JSON.stringify(this.datagrams)
              }`,
            ),
          ),
        ms,
      );
      this.#waiters.push({
        check: test,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  /** Stops the receiver and removes a path socket. */
  async close(): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Ended already.
    }
    await this.#child.status;
    await this.#reading;
    if (!this.address.startsWith("@")) {
      await Deno.remove(this.address).catch(() => {});
    }
  }

  async #read(): Promise<void> {
    let buffer = "";
    for await (
      const text of this.#child.stdout.pipeThrough(new TextDecoderStream())
    ) {
      buffer += text;
      let newline;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = JSON.parse(buffer.slice(0, newline));
        buffer = buffer.slice(newline + 1);
        if (line.bound) this.#bound();
        else this.datagrams.push(line as Datagram);
      }
      for (const waiter of this.#waiters.splice(0)) {
        if (waiter.check()) waiter.resolve();
        else this.#waiters.push(waiter);
      }
    }
  }
}
