/**
 * An HTTP hello: `[server/NAME] handler = ./hello.ts#hello`.
 *
 * @module
 */

/** Answers every request with a greeting; `/?name=Ada` greets Ada. */
export function hello(request: Request): Response {
  const name = new URL(request.url).searchParams.get("name") ?? "world";
  return new Response(`Hello, ${name}!\n`, {
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}
