// The W3C trace context an incoming call carries in its metadata (traceparent, tracestate), for the
// trace element. Plain strings: reading them needs nothing of OpenTelemetry.
import type * as grpc from "@grpc/grpc-js";
import type { CallContext } from "../chain/types.js";

export function traceHeaders(metadata: grpc.Metadata): CallContext["trace"] {
  const [traceparent] = metadata.get("traceparent");
  if (typeof traceparent !== "string") return undefined;
  const [tracestate] = metadata.get("tracestate");
  return typeof tracestate === "string" ? { traceparent, tracestate } : { traceparent };
}
