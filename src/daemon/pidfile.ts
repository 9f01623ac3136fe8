/**
 * The pidfile: created if missing, then LOCKED (an exclusive advisory
 * `flock`, Deno's `FsFile.tryLock`) for the whole life of the process that
 * holds it, so the lock, not the number in the file, says whether an aio
 * runs. Of any number of processes that try at once, exactly one gets it;
 * a pidfile whose lock is free is stale (its process is gone), whatever
 * pid it names, and is taken over. The holder removes the file before it
 * exits; the kernel drops the lock when it exits, however it exits.
 *
 * The file holds the pid and a newline, as systemd's `PIDFile=` and
 * `kill $(cat FILE)` expect.
 *
 * @module
 */

import { AioError } from "../errors.ts";
import { absolutePath } from "../paths.ts";
import { readProc } from "./_proc.ts";

/** The pidfile's mode before the umask (as `aio run -d` always made it). */
const PIDFILE_MODE = 0o644;
/** Attempts at the lock before giving up: a probe (`aio status`) holds it for a moment. */
const LOCK_ATTEMPTS = 5;
const LOCK_RETRY_MS = 20;
/** How long a loser waits for the winner to write its pid, to name it. */
const PID_WAIT_MS = 500;

/**
 * Why a pidfile whose lock nobody holds is stale, for `not running (...)`.
 *
 * @example
 * ```ts
 * import { staleReason } from "./pidfile.ts";
 * console.log(staleReason("aio.pid", undefined));
 * // aio.pid is stale: it names no pid, and no process holds its lock
 * ```
 */
export function staleReason(path: string, pid: number | undefined): string {
  return pid === undefined
    ? `${path} is stale: it names no pid, and no process holds its lock`
    : `${path} is stale: pid ${pid} holds no lock on it`;
}

/** Another process holds the pidfile's lock. */
export class AlreadyRunning extends AioError {
  /** The pid the pidfile names (undefined while its holder has not written it yet). */
  readonly pid: number | undefined;
  /** The pidfile. */
  readonly path: string;

  /** Creates the error for `path`, held by `pid`. */
  constructor(path: string, pid: number | undefined) {
    super(
      pid === undefined
        ? `already running: ${path} is locked by a process that is starting`
        : `already running as pid ${pid} (${path})`,
    );
    this.name = "AlreadyRunning";
    this.pid = pid;
    this.path = path;
  }
}

/**
 * A pidfile this process holds.
 *
 * @example
 * ```ts ignore
 * import { Pidfile } from "./pidfile.ts";
 * const pidfile = await Pidfile.acquire("var/run/aio.pid"); // AlreadyRunning if another holds it
 * // ... run ...
 * pidfile.release();
 * ```
 */
export class Pidfile {
  /** The pidfile's absolute path. */
  readonly path: string;
  readonly #file: Deno.FsFile;
  readonly #ino: number | null;
  #released = false;

  private constructor(path: string, file: Deno.FsFile, ino: number | null) {
    this.path = path;
    this.#file = file;
    this.#ino = ino;
  }

  /**
   * Creates (or takes over a stale) pidfile at `path`, locks it and writes
   * this process's pid into it. Its directory is created if missing.
   *
   * @throws {AlreadyRunning} When another process holds it.
   */
  static async acquire(path: string): Promise<Pidfile> {
    const absolute = absolutePath(path);
    await Deno.mkdir(parentDir(absolute), { recursive: true }).catch((
      error,
    ) => {
      throw cannotCreate(path, error);
    });
    // A holder that exits unlinks the file while it still holds the lock;
    // one that opened the old file just before may then lock a file that is
    // no longer at the path. Such a lock is worthless: try again.
    for (let attempt = 0; attempt < 10; attempt++) {
      const file = await Deno.open(absolute, {
        read: true,
        write: true,
        create: true,
        mode: PIDFILE_MODE,
      }).catch((error) => {
        throw cannotCreate(path, error);
      });
      if (!await tryLockFor(file)) {
        const pid = await waitForPid(file);
        file.close();
        throw new AlreadyRunning(path, pid);
      }
      const ino = (await file.stat()).ino;
      if (ino !== null && inodeAt(absolute) !== ino) {
        file.close();
        continue;
      }
      await file.truncate(0);
      await file.write(new TextEncoder().encode(`${Deno.pid}\n`));
      return new Pidfile(absolute, file, ino);
    }
    throw new AioError(`cannot take ${path}: it keeps being replaced`);
  }

  /** Removes the pidfile (if it is still this one) and drops the lock. Idempotent. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    try {
      if (this.#ino === null || inodeAt(this.path) === this.#ino) {
        Deno.removeSync(this.path);
      }
    } catch {
      // Already gone.
    }
    try {
      this.#file.close();
    } catch {
      // Already closed.
    }
  }
}

/** The pidfile `path` cannot be created: one line naming it (a permission aio lacks keeps its own error). */
function cannotCreate(path: string, error: unknown): unknown {
  if (error instanceof Deno.errors.NotCapable) return error;
  const reason = (error instanceof Error ? error.message : String(error))
    .replace(/ \(os error \d+\)/, "");
  return new AioError(`cannot create the pidfile ${path}: ${reason}`);
}

/** The pidfile `path` is there but cannot be read: one line naming it (a permission aio lacks keeps its own error). */
function cannotRead(path: string, error: unknown): unknown {
  if (error instanceof Deno.errors.NotCapable) return error;
  const reason = (error instanceof Error ? error.message : String(error))
    .replace(/ \(os error \d+\)/, "");
  return new AioError(`cannot read the pidfile ${path}: ${reason}`);
}

/** What a pidfile says, read from outside (`aio stop`, `aio status`, `aio run -d`). */
export type PidfileState =
  | { state: "absent" }
  | { state: "stale"; pid: number | undefined }
  | { state: "running"; pid: number | undefined; since: Date | null };

/**
 * A look at a pidfile that this process does not hold: whether its lock is
 * held (someone runs), the pid it names, and a way to wait for the holder
 * to exit. Close it when done.
 */
export class PidfileProbe {
  /** The pidfile's path, as given. */
  readonly path: string;
  /** What the pidfile says. */
  readonly state: PidfileState;
  readonly #file: Deno.FsFile | undefined;

  private constructor(
    path: string,
    state: PidfileState,
    file: Deno.FsFile | undefined,
  ) {
    this.path = path;
    this.state = state;
    this.#file = file;
  }

  /**
   * The pid of the process that holds the pidfile, for a command that
   * signals it (`aio stop`, `aio reload`).
   *
   * @throws {AioError} when nothing runs (no pidfile, or a stale one), or
   * the holder has not written its pid yet
   */
  runningPid(): number {
    const { state, path } = this;
    if (state.state === "absent") {
      throw new AioError(`not running (no pidfile at ${path})`);
    }
    if (state.state === "stale") {
      throw new AioError(`not running (${staleReason(path, state.pid)})`);
    }
    if (state.pid === undefined) {
      throw new AioError(
        `${path} is locked by a process that has not written its pid yet; try again`,
      );
    }
    return state.pid;
  }

  /** Opens and reads `path`; never takes the lock for longer than a check. */
  static async open(path: string): Promise<PidfileProbe> {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, { read: true });
    } catch (error) {
      // A file where its directory should be: there is no pidfile either.
      if (
        error instanceof Deno.errors.NotFound ||
        error instanceof Deno.errors.NotADirectory
      ) {
        return new PidfileProbe(path, { state: "absent" }, undefined);
      }
      throw cannotRead(path, error);
    }
    if ((await file.stat()).isDirectory) {
      file.close();
      throw cannotRead(path, new Error("it is a directory"));
    }
    const pid = await readPid(file);
    if (await file.tryLock(true)) {
      await file.unlock();
      return new PidfileProbe(path, { state: "stale", pid }, file);
    }
    const info = await file.stat();
    const holder = info.ino === null ? undefined : lockHolder(info.ino, pid);
    return new PidfileProbe(path, {
      state: "running",
      pid: holder ?? pid,
      since: info.mtime,
    }, file);
  }

  /**
   * Resolves true once the holder has let the lock go (it exited), false
   * when `timeoutMs` passes first.
   */
  async waitForRelease(timeoutMs: number): Promise<boolean> {
    const file = this.#file;
    if (!file) return true;
    const deadline = performance.now() + timeoutMs;
    while (true) {
      if (await file.tryLock(true)) {
        await file.unlock();
        return true;
      }
      if (performance.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Closes the file. */
  close(): void {
    try {
      this.#file?.close();
    } catch {
      // Already closed.
    }
  }
}

/** The pid at the start of an open pidfile; undefined when it holds none. */
async function readPid(file: Deno.FsFile): Promise<number | undefined> {
  await file.seek(0, Deno.SeekMode.Start);
  const buffer = new Uint8Array(64);
  const read = await file.read(buffer) ?? 0;
  const text = new TextDecoder().decode(buffer.subarray(0, read));
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

async function waitForPid(file: Deno.FsFile): Promise<number | undefined> {
  const deadline = performance.now() + PID_WAIT_MS;
  while (true) {
    const pid = await readPid(file);
    if (pid !== undefined || performance.now() >= deadline) return pid;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function tryLockFor(file: Deno.FsFile): Promise<boolean> {
  for (let attempt = 0; attempt < LOCK_ATTEMPTS; attempt++) {
    if (await file.tryLock(true)) return true;
    await new Promise((resolve) => setTimeout(resolve, LOCK_RETRY_MS));
  }
  return false;
}

function inodeAt(path: string): number | null | undefined {
  try {
    return Deno.statSync(path).ino;
  } catch {
    return undefined;
  }
}

/**
 * The pid holding the flock on inode `ino`, from Linux's `/proc/locks`
 * (preferring `expected` when several match); undefined where that cannot
 * be read.
 */
function lockHolder(ino: number, expected: number | undefined) {
  const text = readProc("/proc/locks");
  if (text === undefined) return undefined;
  const holders: number[] = [];
  for (const line of text.split("\n")) {
    // "1: FLOCK  ADVISORY  WRITE 13936 fe:00:2146326 0 EOF"; "->" lines wait.
    const fields = line.trim().split(/\s+/);
    if (fields[1] !== "FLOCK" || fields[3] !== "WRITE") continue;
    if (Number(fields[5]?.split(":")[2]) !== ino) continue;
    holders.push(Number(fields[4]));
  }
  if (expected !== undefined && holders.includes(expected)) return expected;
  return holders.length === 1 ? holders[0] : undefined;
}

/** The directory that holds `path` (an absolute path). */
export function parentDir(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash <= 0 ? "/" : path.slice(0, slash);
}
