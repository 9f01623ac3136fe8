/**
 * LogTape sinks for the handler classes: a stream (stdout or stderr) and a
 * file. Both write synchronously, so a record is with the OS when the
 * logging call returns and nothing is lost to an exit or a signal, and
 * neither throws into the code that logs: a write error becomes one line
 * on stderr at most once a minute.
 *
 * @module
 */

import type { LogLevel, LogRecord, Sink } from "@logtape/logtape";
import type { RecordFormatter } from "./_format.ts";
import type { LogFile } from "./_log_file.ts";
import { WriteFailures } from "./_write_errors.ts";
import { type WritableLike, writeAll } from "./_writable.ts";

export type { WritableLike } from "./_writable.ts";

/** A sink that writes to a file, with the file's life cycle. */
export interface FileSink extends Sink, Disposable {
  /** The file it writes to. */
  file: LogFile;
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

function markImmediate<T extends Sink>(sink: T): T {
  Object.defineProperty(sink, IMMEDIATE, { value: true });
  return sink;
}

function rankOf(level: LogLevel | undefined): number {
  return level === undefined ? -1 : LEVEL_RANKS[level];
}

/** Where a sink reports that it cannot write. */
export interface SinkReports {
  /** The process's stderr (or a test's stand-in). */
  stderr: WritableLike;
}

/**
 * A sink for Python's `StreamHandler`: records at `level` or above, formatted,
 * one per line. A stream that cannot be written (a closed pipe) is reported
 * once a minute on `reports.stderr`; its records are dropped.
 */
export function createStreamSink(
  stream: WritableLike,
  format: RecordFormatter,
  level: LogLevel | undefined,
  reports: SinkReports & { name: string },
): Sink {
  const lowest = rankOf(level);
  const failures = new WriteFailures(`log stream ${reports.name}`, reports);
  return markImmediate((record: LogRecord) => {
    if (LEVEL_RANKS[record.level] < lowest) return;
    try {
      writeAll(stream, encoder.encode(`${format(record)}\n`));
    } catch (error) {
      failures.failed("write", error);
      return;
    }
    failures.succeeded("");
  });
}

/**
 * A sink for the FileHandler family, writing to a {@linkcode LogFile}.
 * Disposing it closes the file (LogTape does so on reset and on unload).
 */
export function createFileSink(
  file: LogFile,
  format: RecordFormatter,
  level?: LogLevel,
): FileSink {
  const lowest = rankOf(level);
  const sink = ((record: LogRecord) => {
    if (LEVEL_RANKS[record.level] < lowest) return;
    file.write(encoder.encode(`${format(record)}\n`));
  }) as FileSink;
  sink.file = file;
  sink.sync = () => file.sync();
  sink[Symbol.dispose] = () => file.close();
  return markImmediate(sink);
}

/** A sink for Python's `NullHandler`: drops everything. */
export function createNullSink(): Sink {
  return markImmediate(() => {});
}
