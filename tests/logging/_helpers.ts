/** Shared helpers for the logging tests. */

import { buildConfig } from "../../src/config/layers.ts";
import type { ConfigParser } from "../../src/config/config_parser.ts";
import type { WritableLike } from "../../src/logging.ts";

/** A stream stand-in that keeps what is written. */
export interface Capture extends WritableLike {
  /** Everything written so far. */
  readonly text: string;
  /** The non-empty lines written so far. */
  readonly lines: string[];
}

/** A stream that records its writes; `terminal` is what `isTerminal()` says. */
export function capture(terminal = false): Capture {
  const decoder = new TextDecoder();
  let text = "";
  return {
    writeSync(data: Uint8Array): number {
      text += decoder.decode(data);
      return data.length;
    },
    isTerminal: () => terminal,
    get text() {
      return text;
    },
    get lines() {
      return text.split("\n").filter(Boolean);
    },
  };
}

/** The layered config (built-in defaults under `text`), as aio builds it. */
export function layered(text: string, source = "aio.conf"): ConfigParser {
  return buildConfig({ text, source });
}

/** Joins lines into a config document. */
export function conf(...lines: string[]): string {
  return lines.join("\n") + "\n";
}
