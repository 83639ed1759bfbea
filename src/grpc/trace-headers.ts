// The W3C trace context an incoming call carries in its metadata (traceparent, tracestate), for the
// trace element, and passed on by a hop that forwards the call (the sandbox's nsmgr, as NSM's does).
// Plain strings: reading them needs nothing of OpenTelemetry.
import * as grpc from "@grpc/grpc-js";
import type { CallContext } from "../chain/types.js";

export function traceHeaders(metadata: grpc.Metadata): CallContext["trace"] {
  const [traceparent] = metadata.get("traceparent");
  if (typeof traceparent !== "string") return undefined;
  const [tracestate] = metadata.get("tracestate");
  return typeof tracestate === "string" ? { traceparent, tracestate } : { traceparent };
}

/** Metadata for a forwarded call: the incoming call's trace context, nothing else. */
export function forwardTrace(incoming: grpc.Metadata): grpc.Metadata {
  const out = new grpc.Metadata();
  for (const key of ["traceparent", "tracestate"]) {
    const [value] = incoming.get(key);
    if (typeof value === "string") out.set(key, value);
  }
  return out;
}
