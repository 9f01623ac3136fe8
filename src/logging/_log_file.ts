/**
 * One log file of the FileHandler family: opened (directories included)
 * with mode 0644, written synchronously, reopened on demand, watched or
 * rotated as Python's handler classes do, and never throwing into the
 * code that logs. A write that fails (a full disk) is reported as one line
 * on stderr at most once a minute; the bytes are kept, up to a bound, and
 * written in order once the file takes writes again.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";
import {
  backupsToDelete,
  nextRollover,
  rolledOverName,
  type TimedSchedule,
} from "./_rotation.ts";
import { WriteFailures } from "./_write_errors.ts";
import type { WritableLike } from "./_writable.ts";

/** The mode of a log file aio creates. */
export const LOG_FILE_MODE = 0o644;

/** How many bytes that could not be written are kept for a later try. */
export const MAX_PENDING_BYTES = 1024 * 1024;

/** How often kept bytes are retried when nothing new is logged. */
const RETRY_MS = 1000;

/** How a file is kept in step with the path (Python's handler classes). */
export type Rotation =
  | { kind: "none" }
  | { kind: "watched" }
  | { kind: "size"; maxBytes: number; backupCount: number }
  | { kind: "time"; schedule: TimedSchedule; backupCount: number };

/** What a {@linkcode LogFile} opens and how. */
export interface LogFileSpec {
  /** The path, as configured. */
  path: string;
  /** `w` truncates once, when the file is first opened; reopening always appends. */
  mode: "a" | "w";
  /** Open at the first record instead of at configure time (Python's `delay`). */
  delay: boolean;
  /** Watching or rotation. */
  rotation: Rotation;
}

/** Stand-ins for tests: where reports go and the clock. */
export interface LogFileOptions {
  /** Where write errors are reported. */
  stderr: WritableLike;
  /** Milliseconds since the epoch (default `Date.now`), for timed rotation and report intervals. */
  now?: () => number;
}

interface Identity {
  dev: number;
  ino: number | null;
}

/** An open (or delayed) log file. */
export class LogFile {
  /** The path it writes to. */
  readonly path: string;
  #spec: LogFileSpec;
  #now: () => number;
  #failures: WriteFailures;
  #file: Deno.FsFile | undefined;
  #identity: Identity | undefined;
  #size = 0;
  #regular = true;
  #rolloverAt = Infinity;
  #watchedThisTurn = false;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #dropped = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  /**
   * Opens the file now unless `spec.delay`.
   *
   * @throws {Error} when the file (or its directory) cannot be created or opened
   */
  constructor(spec: LogFileSpec, options: LogFileOptions) {
    this.path = spec.path;
    this.#spec = spec;
    this.#now = options.now ?? Date.now;
    this.#failures = new WriteFailures(`log file ${spec.path}`, {
      stderr: options.stderr,
      now: this.#now,
    });
    if (!spec.delay) this.#install(openLogFile(spec.path, spec.mode === "w"));
  }

  /** Writes `data` (one or more whole lines). Never throws. */
  write(data: Uint8Array): void {
    if (this.#closed) return;
    if (this.#pending.length > 0) {
      this.#keep(data);
      this.#retry();
      return;
    }
    if (!this.#ready(data.length)) {
      this.#keep(data);
      return;
    }
    const written = this.#writeOut(data);
    if (written < data.length) this.#keep(data.subarray(written));
  }

  /**
   * Closes the file and opens the path again (creating it, and its
   * directory, if it was moved or deleted), as after `logrotate` moves it.
   * Never throws: a failure is reported and the old file stays in use.
   */
  reopen(): void {
    if (this.#closed || this.#file === undefined) return;
    let file: Deno.FsFile;
    try {
      file = openLogFile(this.path, false);
    } catch (error) {
      this.#failures.failed("reopen", error);
      return;
    }
    this.#install(file);
    if (this.#pending.length > 0) this.#retry();
  }

  /** Pushes what was written to the disk. Never throws. */
  sync(): void {
    if (this.#pending.length > 0) this.#retry();
    if (this.#file === undefined || !this.#regular) return;
    try {
      this.#file.syncDataSync();
    } catch (error) {
      this.#failures.failed("sync", error);
    }
  }

  /**
   * Writes what is still kept if it can, then closes. Bytes that could never
   * be written are reported in one line.
   */
  close(): void {
    if (this.#closed) return;
    if (this.#pending.length > 0) this.#retry();
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    const lost = this.#dropped + countLines(this.#pending);
    if (lost > 0) {
      this.#failures.finalError(
        `${lost} log record(s) were never written to ${this.path}`,
      );
    }
    this.#pending = [];
    try {
      this.#file?.close();
    } catch {
      // Already closed.
    }
    this.#file = undefined;
  }

  // Makes the file ready for `bytes` more: opens a delayed file, follows a
  // moved one, rolls over. False when there is no file to write to.
  #ready(bytes: number): boolean {
    if (this.#file === undefined) {
      try {
        this.#install(openLogFile(this.path, this.#spec.mode === "w"));
      } catch (error) {
        this.#failures.failed("open", error);
        return false;
      }
    }
    const rotation = this.#spec.rotation;
    if (rotation.kind === "watched") this.#watch();
    else if (rotation.kind === "size") {
      if (
        this.#regular && rotation.maxBytes > 0 && rotation.backupCount > 0 &&
        this.#size > 0 && this.#size + bytes >= rotation.maxBytes
      ) this.#rollOverBySize(rotation.backupCount);
    } else if (rotation.kind === "time" && this.#now() >= this.#rolloverAt) {
      this.#rollOverByTime(rotation.schedule, rotation.backupCount);
    }
    return true;
  }

  // Python stats the path before every record; once per turn of the event
  // loop costs one stat for a burst of records and misses nothing written
  // in a later turn.
  #watch(): void {
    if (this.#watchedThisTurn) return;
    this.#watchedThisTurn = true;
    queueMicrotask(() => this.#watchedThisTurn = false);
    let current: Deno.FileInfo | undefined;
    try {
      current = Deno.statSync(this.path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) {
        this.#failures.failed("watch", error);
        return;
      }
    }
    const identity = this.#identity;
    if (
      current === undefined || identity === undefined ||
      current.dev !== identity.dev || current.ino !== identity.ino
    ) this.reopen();
  }

  #rollOverBySize(backupCount: number): void {
    try {
      // Python shifts app.log.N-1 → app.log.N … app.log.1 → app.log.2 for
      // each that exists; one directory listing finds them, however large
      // backupCount is.
      const present = this.#siblings();
      for (let index = backupCount - 1; index > 0; index--) {
        const from = `${this.path}.${index}`;
        if (present?.has(basename(from)) === false) continue;
        renameIfExists(from, `${this.path}.${index + 1}`);
      }
      // A file deleted under us is simply started afresh.
      renameIfExists(this.path, `${this.path}.1`);
    } catch (error) {
      this.#failures.failed("rotate", error);
      return;
    }
    this.reopen();
  }

  // The names in the file's directory; undefined when it cannot be listed.
  #siblings(): Set<string> | undefined {
    try {
      const names = new Set<string>();
      for (const entry of Deno.readDirSync(dirname(this.path))) {
        names.add(entry.name);
      }
      return names;
    } catch {
      return undefined;
    }
  }

  #rollOverByTime(schedule: TimedSchedule, backupCount: number): void {
    const now = this.#now();
    const target = rolledOverName(this.path, this.#rolloverAt, schedule);
    this.#rolloverAt = nextRollover(now, schedule);
    if (!this.#regular) return;
    try {
      // A name already taken means this period was rolled over already
      // (the clock went back): keep writing rather than overwrite it.
      if (exists(target)) return;
      Deno.renameSync(this.path, target);
    } catch (error) {
      this.#failures.failed("rotate", error);
      return;
    }
    this.reopen();
    if (backupCount > 0) this.#deleteOldBackups(schedule, backupCount);
  }

  #deleteOldBackups(schedule: TimedSchedule, backupCount: number): void {
    const directory = dirname(this.path);
    try {
      const names = [...Deno.readDirSync(directory)].map((entry) => entry.name);
      for (
        const name of backupsToDelete(
          basename(this.path),
          names,
          schedule.when,
          backupCount,
        )
      ) {
        Deno.removeSync(join(directory, name));
      }
    } catch (error) {
      this.#failures.failed("delete old backups of", error);
    }
  }

  // Takes a newly opened file in place of the current one: nothing is
  // written in between, so no record is lost or doubled by a reopen.
  #install(file: Deno.FsFile): void {
    const old = this.#file;
    this.#file = file;
    try {
      const info = file.statSync();
      this.#identity = { dev: info.dev, ino: info.ino };
      this.#size = info.size;
      this.#regular = info.isFile;
      const rotation = this.#spec.rotation;
      if (rotation.kind === "time" && this.#rolloverAt === Infinity) {
        // Python starts the first period at the file's last write.
        const start = info.size > 0 && info.mtime
          ? info.mtime.getTime()
          : this.#now();
        this.#rolloverAt = nextRollover(start, rotation.schedule);
      }
    } catch {
      this.#identity = undefined;
    }
    try {
      old?.close();
    } catch {
      // Already closed.
    }
  }

  // Writes as much of `data` as the file takes; returns how much that was.
  #writeOut(data: Uint8Array): number {
    const file = this.#file!;
    let offset = 0;
    try {
      while (offset < data.length) {
        offset += file.writeSync(
          offset === 0 ? data : data.subarray(offset),
        );
      }
    } catch (error) {
      this.#size += offset;
      this.#failures.failed("write", error);
      this.#scheduleRetry();
      return offset;
    }
    this.#size += offset;
    return offset;
  }

  #keep(data: Uint8Array): void {
    if (this.#pendingBytes + data.length > MAX_PENDING_BYTES) {
      this.#dropped += countLines([data]);
      return;
    }
    // The caller's buffer may be reused: keep a copy.
    this.#pending.push(data.slice());
    this.#pendingBytes += data.length;
    this.#scheduleRetry();
  }

  // Writes the kept bytes, oldest first, stopping at the first failure.
  #retry(): void {
    if (!this.#ready(0)) return;
    while (this.#pending.length > 0) {
      const data = this.#pending[0];
      const written = this.#writeOut(data);
      this.#pendingBytes -= written;
      if (written < data.length) {
        this.#pending[0] = data.subarray(written);
        return;
      }
      this.#pending.shift();
    }
    const dropped = this.#dropped;
    this.#dropped = 0;
    this.#failures.succeeded(
      dropped > 0
        ? `; ${dropped} record(s) were dropped meanwhile`
        : "; no record was lost",
    );
  }

  #scheduleRetry(): void {
    if (this.#retryTimer !== undefined || this.#closed) return;
    const timer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (this.#pending.length === 0 || this.#closed) return;
      this.#retry();
      if (this.#pending.length > 0) this.#scheduleRetry();
    }, RETRY_MS);
    // Kept bytes must not hold the process open.
    Deno.unrefTimer(timer);
    this.#retryTimer = timer;
  }
}

/**
 * Opens `path` for appending (or truncating, once, for mode `w`), creating
 * it with mode 0644 and its missing directories as `mkdir -p` would.
 */
export function openLogFile(path: string, truncate: boolean): Deno.FsFile {
  const options: Deno.OpenOptions = {
    write: true,
    create: true,
    append: !truncate,
    truncate,
    // A new log file is not world-writable, whatever the umask.
    mode: LOG_FILE_MODE,
  };
  try {
    return Deno.openSync(path, options);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    Deno.mkdirSync(dirname(path), { recursive: true });
    return Deno.openSync(path, options);
  }
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

function renameIfExists(from: string, to: string): void {
  try {
    Deno.renameSync(from, to);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

function countLines(chunks: readonly Uint8Array[]): number {
  let lines = 0;
  for (const chunk of chunks) {
    for (const byte of chunk) if (byte === 10) lines++;
  }
  return lines;
}
