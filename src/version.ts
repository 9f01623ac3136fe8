/**
 * aio's version; a test keeps it equal to deno.json's.
 *
 * @example Printing the version
 * ```ts
 * import { VERSION } from "@aio/app";
 * console.log(`running on aio ${VERSION}`);
 * ```
 */
export const VERSION = "0.1.0";
