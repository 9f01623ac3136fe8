/**
 * Cluster signal messages as JSON. Listeners on other nodes get
 * `JSON.parse` of what was sent, so a message must come back equal to
 * itself: `null`, booleans, finite numbers, strings, arrays and plain
 * objects (whose prototype is `Object.prototype` or `null`) of those.
 * A message with no value (`emit("x")`) travels as an empty body and
 * arrives as `undefined`. An object property whose value is `undefined` is
 * left out, as `JSON.stringify` does (it reads the same in a listener).
 * Anything else is refused with a `TypeError` naming where it sits:
 * functions, symbols, bigints, `NaN` and the infinities, `undefined` in an
 * array, cycles, and objects of other classes (`Date`, `Map`, typed arrays,
 * class instances): send `date.toISOString()`, `[...map]` and so on.
 *
 * @module
 */

/**
 * The JSON text of `message`, or `undefined` for no message.
 *
 * @example
 * ```ts
 * import { messageToJson } from "./message.ts";
 * console.log(messageToJson({ id: 7, tags: ["a"] })); // '{"id":7,"tags":["a"]}'
 * try {
 *   messageToJson({ at: new Date() });
 * } catch (error) {
 *   console.log((error as Error).message); // message.at is a Date, not a JSON value ...
 * }
 * ```
 *
 * @param message The message given to `emit`.
 * @returns Its JSON text; `undefined` when `message` is `undefined`.
 * Throws a `TypeError` for a message that is not a JSON value.
 */
export function messageToJson(message: unknown): string | undefined {
  if (message === undefined) return undefined;
  // The quick check names nothing; on a failure, the slow one says where.
  // A getter that emits during the check gets a stack of its own.
  const parents = parentsInCheck.length === 0 ? parentsInCheck : [];
  if (!isJsonValue(message, parents)) {
    throw new TypeError(problemIn(message, "message", []));
  }
  return JSON.stringify(message);
}

/**
 * The message a JSON body stands for: `undefined` for an empty body.
 * Throws a `SyntaxError` for a body that is not JSON.
 */
export function messageFromJson(body: string): unknown {
  return body === "" ? undefined : JSON.parse(body);
}

/**
 * The objects around the value being checked, reused from call to call:
 * the walk pops what it pushes, so it is empty between checks.
 */
const parentsInCheck: object[] = [];

/** Whether `value` is a JSON value; `parents` holds the objects around it. */
function isJsonValue(value: unknown, parents: object[]): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value);
    case "object": {
      if (value === null) return true;
      if (parents.includes(value)) return false;
      parents.push(value);
      let ok = true;
      if (Array.isArray(value)) {
        for (let i = 0; ok && i < value.length; i++) {
          const item = value[i];
          ok = item !== undefined && isJsonValue(item, parents);
        }
      } else {
        const prototype = Object.getPrototypeOf(value);
        ok = prototype === Object.prototype || prototype === null;
        if (ok) {
          for (const key in value) {
            const item = (value as Record<string, unknown>)[key];
            if (item !== undefined && !isJsonValue(item, parents)) {
              ok = false;
              break;
            }
          }
        }
      }
      parents.pop();
      return ok;
    }
    default:
      return false;
  }
}

/** Why `value` (at `path`) is not a JSON value, or `""` when it is one. */
function problemIn(value: unknown, path: string, parents: object[]): string {
  switch (typeof value) {
    case "string":
    case "boolean":
      return "";
    case "number":
      return Number.isFinite(value)
        ? ""
        : `${path} is ${value}, not a JSON value (JSON has no NaN or Infinity)`;
    case "object":
      if (value === null) return "";
      return problemInObject(value, path, parents);
    case "undefined":
      return `${path} is undefined, not a JSON value (use null)`;
    default:
      return `${path} is a ${typeof value}, not a JSON value`;
  }
}

function problemInObject(
  value: object,
  path: string,
  parents: object[],
): string {
  if (parents.includes(value)) {
    return `${path} refers back to ${
      pathOf(parents, value, path)
    }: a cycle is not a JSON value`;
  }
  parents.push(value);
  try {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const problem = problemIn(value[i], `${path}[${i}]`, parents);
        if (problem) return problem;
      }
      return "";
    }
    const prototype = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) {
      const kind = prototype?.constructor?.name || "an object of a class";
      return `${path} is a ${kind}, not a JSON value (send plain objects, arrays, strings, numbers, booleans or null)`;
    }
    for (const key of Object.keys(value)) {
      const item = (value as Record<string, unknown>)[key];
      if (item === undefined) continue;
      const problem = problemIn(item, `${path}${keyPath(key)}`, parents);
      if (problem) return problem;
    }
    return "";
  } finally {
    parents.pop();
  }
}

function keyPath(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key)
    ? `.${key}`
    : `[${JSON.stringify(key)}]`;
}

/** A readable name for the ancestor that a cycle points back to. */
function pathOf(parents: object[], target: object, path: string): string {
  return parents[0] === target ? "message" : `an enclosing value of ${path}`;
}
