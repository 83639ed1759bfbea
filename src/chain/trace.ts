// The trace element: a server span around every Request and Close, a child of the caller's trace
// context (W3C traceparent, which the gRPC layer puts on CallContext), so that the chain, the actors
// and the data plane all happen inside it. First in the chain, before measure. The spans themselves
// come from src/debug/tracing.ts; this element is only in the chain when tracing is on.
import { PEER_REQUEST_LABEL } from "../registry/labels.js";
import type { CallContext, Element } from "./types.js";

/** What the element needs of a tracer. */
export interface CallSpans {
  /** Runs `work` inside a server span for `method` ("Request", "Close"); the span ends when it settles. */
  serve<T>(
    method: "Request" | "Close",
    ctx: CallContext,
    attributes: Record<string, string>,
    work: () => Promise<T>,
  ): Promise<T>;
}

/** The span attributes of a connection: its id, network service and whose it is (NSC or peer NSE). */
export function connectionAttributes(
  conn: { id?: string; networkService?: string; labels?: Record<string, string> } | undefined,
): Record<string, string> {
  const peer = conn?.labels?.[PEER_REQUEST_LABEL];
  return {
    "nsm.connection.id": conn?.id ?? "",
    "nsm.network_service": conn?.networkService ?? "",
    "vl3.caller": peer === undefined ? "nsc" : `peer ${peer}`,
  };
}

export function traced(spans: CallSpans): Element {
  return (next) => ({
    request: (req, ctx) =>
      spans.serve("Request", ctx, connectionAttributes(req.connection), () => next.request(req, ctx)),
    close: (conn, ctx) => spans.serve("Close", ctx, connectionAttributes(conn), () => next.close(conn, ctx)),
  });
}
