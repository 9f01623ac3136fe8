/** The handler bench/http_server.ts serves, in both modes. */

const body = "Hello, world!\n";

/** Answers every request with a short text. */
export function hello(): Response {
  return new Response(body, { headers: { "content-type": "text/plain" } });
}
