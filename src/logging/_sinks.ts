/**
 * LogTape sinks for the handler classes: a stream (stdout or stderr) and a
 * file. Both write synchronously, so a record is with the OS when the
 * logging call returns and nothing is lost to an exit or a signal.
 *
 * @module
 */

import type { LogLevel, LogRecord, Sink } from "@logtape/logtape";
import type { RecordFormatter } from "./_format.ts";

/** What a stream handler writes to: `Deno.stdout`, `Deno.stderr`, or a test's stand-in. */
export interface WritableLike {
  /** Writes some of `data`, returning how many bytes were written. */
  writeSync(data: Uint8Array): number;
  /** Whether the stream is a terminal (for colour). */
  isTerminal?(): boolean;
}

/** A sink that writes to a file, with the file's life cycle. */
export interface FileSink extends Sink, Disposable {
  /** Pushes the written data to the disk. */
  sync(): void;
}

const LEVEL_RANKS: Readonly<Record<LogLevel, number>> = {
  trace: 0,
  debug: 1,
  info: 2,
  warning: 3,
  error: 4,
  fatal: 5,
};

// LogTape copies a record's properties for a sink that might keep it for
// later, unless the sink says it formats at once; ours do. The symbol is
// LogTape's own (Symbol.for), so if it ever changes we only lose the shortcut.
const IMMEDIATE = Symbol.for("LogTape.sinkSnapshotPolicy.immediate");

const encoder = new TextEncoder();

/** Writes all of `data`, looping over short writes. */
export function writeAll(stream: WritableLike, data: Uint8Array): void {
  let offset = 0;
  while (offset < data.length) {
    offset += stream.writeSync(
      offset === 0 ? data : data.subarray(offset),
    );
  }
}

function markImmediate<T extends Sink>(sink: T): T {
  Object.defineProperty(sink, IMMEDIATE, { value: true });
  return sink;
}

function rankOf(level: LogLevel | undefined): number {
  return level === undefined ? -1 : LEVEL_RANKS[level];
}

/**
 * A sink for Python's `StreamHandler`: records at `level` or above, formatted,
 * one per line.
 */
export function createStreamSink(
  stream: WritableLike,
  format: RecordFormatter,
  level?: LogLevel,
): Sink {
  const lowest = rankOf(level);
  return markImmediate((record: LogRecord) => {
    if (LEVEL_RANKS[record.level] < lowest) return;
    writeAll(stream, encoder.encode(`${format(record)}\n`));
  });
}

/**
 * A sink for Python's `FileHandler` on an open file. Disposing it closes the
 * file (LogTape does so on reset and on unload).
 */
export function createFileSink(
  file: Deno.FsFile,
  format: RecordFormatter,
  level?: LogLevel,
): FileSink {
  const lowest = rankOf(level);
  let open = true;
  const sink = ((record: LogRecord) => {
    if (!open || LEVEL_RANKS[record.level] < lowest) return;
    writeAll(file, encoder.encode(`${format(record)}\n`));
  }) as FileSink;
  sink.sync = () => {
    if (open) file.syncDataSync();
  };
  sink[Symbol.dispose] = () => {
    if (!open) return;
    open = false;
    file.close();
  };
  return markImmediate(sink);
}

/** A sink for Python's `NullHandler`: drops everything. */
export function createNullSink(): Sink {
  return markImmediate(() => {});
}
