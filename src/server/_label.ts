/**
 * The name a server's failures are logged under.
 *
 * @module
 */

import { formatSource } from "../config/errors.ts";
import type { ServerSpec } from "./config.ts";

/**
 * The section's name with the reference that failed and where the config
 * names it, as listeners and schedules are logged:
 * `echo (./echo.ts#Echo, aio.conf:3)`.
 */
export function logLabel(spec: ServerSpec): string {
  const ref = spec.handler ?? spec.protocol;
  if (!ref) return spec.name;
  return `${spec.name} (${ref.value}, ${
    formatSource(ref.source.file, ref.source.line)
  })`;
}
