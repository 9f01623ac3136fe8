/**
 * A shop that runs on several hosts (see aio.conf): an order placed on any
 * node is a cluster signal every node hears, and the nightly report is
 * written by one node a night, whichever claims it.
 *
 * @module
 */

import { app, getLogger } from "../../mod.ts";

const logger = getLogger("aio.example");
let orders = 0;

/** This node's name: `[shop] node`. */
function node(): string {
  return app.config?.get("shop", "node") ?? "?";
}

/** `POST /orders?item=ITEM` places an order: `order-placed` goes to every node. */
export async function web(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (request.method !== "POST" || url.pathname !== "/orders") {
    return new Response("POST /orders?item=ITEM\n", { status: 404 });
  }
  const order = {
    id: `${node()}-${++orders}`,
    item: url.searchParams.get("item") ?? "nothing",
    node: node(),
  };
  // Resolves once this node's listeners ran and NATS has the message.
  await app.signals!.emit("order-placed", order);
  return new Response(
    `order ${order.id} (${order.item}) placed on ${node()}\n`,
  );
}

/** Hears every order, placed on any node (see `[listen/orders]`). */
export function onOrderPlaced(
  _signal: string,
  order: { id: string; item: string; node: string },
): void {
  logger.info("Node {node} heard order {id} ({item}) placed on {from}", {
    node: node(),
    id: order.id,
    item: order.item,
    from: order.node,
  });
}

/** The nightly report: one node of the cluster runs each (`cluster = once`). */
export function nightlyReport(
  name: string,
  event: { scheduledAt: Date },
): void {
  logger.info("Node {node} wrote the {name} for {slot}", {
    node: node(),
    name,
    slot: event.scheduledAt.toISOString(),
  });
}
