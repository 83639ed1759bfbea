// NSM's loop guard: a query that comes back while the same one (same message id and question) is
// still being answered has gone round the mesh, and is answered SERVFAIL instead of going round
// again. Our own fanout cannot loop (it asks without recursion); this stops loops through endpoints
// that fan out with the original id and recursion still asked for.
import type { DnsElement } from "./handler.js";
import { replyTo } from "./wire.js";

export function noloop(): DnsElement {
  const inFlight = new Set<string>();
  return (next) => async (request) => {
    const q = request.query.questions[0]!;
    const key = `${request.query.id} ${q.type} ${q.name.toLowerCase()}`;
    if (inFlight.has(key)) return replyTo(request.query, "SERVFAIL");
    inFlight.add(key);
    try {
      return await next(request);
    } finally {
      inFlight.delete(key);
    }
  };
}
