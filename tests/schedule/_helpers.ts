// Shared pieces of the scheduler's tests: definitions, recorded runs, logs.
import { configure, type LogRecord, reset } from "@logtape/logtape";
import type {
  ScheduleDefinition,
  ScheduleEvent,
} from "../../src/schedule/definition.ts";
import type { FakeClock } from "./_fake_clock.ts";

/** A definition named `test` from `test.conf:1`, with `def` on top. */
export function schedule(
  def: Partial<ScheduleDefinition> & Pick<ScheduleDefinition, "func">,
): ScheduleDefinition {
  return { name: "test", source: "test.conf:1", config: {}, ...def };
}

/** One call of a recorded function. */
export interface Run {
  event: ScheduleEvent;
  /** The clock's monotonic time at the call. */
  at: number;
}

/**
 * A scheduled function that records each call with the clock's time, then
 * runs `body` (whose result is the run's).
 */
export function recorder(
  clock: FakeClock,
  body?: (event: ScheduleEvent, index: number) => unknown,
) {
  const runs: Run[] = [];
  const func = (_name: string, event: ScheduleEvent) => {
    runs.push({ event, at: clock.monotonic() });
    return body?.(event, runs.length - 1);
  };
  /** When each run was due, in ms after `origin` (wall). */
  const scheduled = (origin: number) =>
    runs.map((run) => run.event.scheduledAt.getTime() - origin);
  return { runs, func, scheduled };
}

/** A promise to hold a run open until the test opens it. */
export function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => open = resolve);
  return { opened, open };
}

/** Runs `fn` with LogTape sending aio's records (debug and up) to the returned list. */
export async function withLogs(
  fn: (records: LogRecord[]) => Promise<void>,
): Promise<LogRecord[]> {
  const records: LogRecord[] = [];
  await configure({
    sinks: { buffer: (record) => records.push(record) },
    loggers: [
      { category: ["aio"], sinks: ["buffer"], lowestLevel: "debug" },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
    ],
    reset: true,
  });
  try {
    await fn(records);
  } finally {
    await reset();
  }
  return records;
}

/** A record's message as one string. */
export function text(record: LogRecord): string {
  return record.message.map(String).join("");
}
