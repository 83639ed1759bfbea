// The last element: hands the request to the endpoint actor, which answers when the connection is
// up (or failed).
import type { Endpoint } from "../actors/endpoint.js";
import { ANONYMOUS } from "./owner.js";
import type { NetworkServiceHandler } from "./types.js";

export function endpointHandler(endpoint: Endpoint): NetworkServiceHandler {
  return {
    request: (req, ctx) =>
      endpoint.request(req.connection!, {
        kind: ctx.peerOf ? "peer" : "client",
        lifetimeMs: ctx.lifetimeMs ?? 0,
        deadline: ctx.deadline,
        owner: ctx.owner ?? ANONYMOUS,
        signal: ctx.signal,
        delivered: ctx.delivered,
      }),
    close: (conn, ctx) => endpoint.close(conn.id, ctx.deadline, ctx.owner ?? ANONYMOUS),
  };
}
