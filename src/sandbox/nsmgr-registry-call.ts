// What both registry sides of the sandbox nsmgr share (nsmgr-registry.ts for endpoints,
// nsmgr-service-registry.ts for network services): a call's deadline, how a refusal goes back, and a
// Find answered by the registry's own stream.
import * as grpc from "@grpc/grpc-js";
import { asServiceError } from "../grpc/status.js";
import { statusError } from "../util/grpc.js";

export const deadlineOf = (call: grpc.ServerUnaryCall<unknown, unknown>) => {
  const d = call.getDeadline();
  const ms = d instanceof Date ? d.getTime() : Number(d);
  return Number.isFinite(ms) ? ms : Date.now() + 10_000;
};

/** What is left of the caller's time, for the call forwarded to the registry. */
export const timeoutOf = (call: grpc.ServerUnaryCall<unknown, unknown>) =>
  Math.max(1, deadlineOf(call) - Date.now());

// A refusal of our own (RequestError: its status name) keeps its status; it was answered UNKNOWN.
export const fail = asServiceError;

/**
 * A Find (with or without watch) answered by the registry's stream, ended or cancelled together. Only
 * our own cancel is benign: a registry stream that ends with CANCELLED otherwise (its server, or a
 * remote domain's proxy behind it, went away) is a break the caller must see, or its watch would hang
 * on stale entries. The status goes out as an "error" event: grpc-js drops a destroy()'s silently.
 * Its messages pass as the registry's bytes (relay.ts): the nsmgr reads none of them.
 */
export function pipe<T>(
  upstream: grpc.ClientReadableStream<T>,
  call: grpc.ServerWritableStream<unknown, T>,
): void {
  let cancelled = false;
  upstream.on("data", (r: T) => call.write(r));
  upstream.on("end", () => {
    if (!cancelled) call.end();
  });
  upstream.on("error", (err: grpc.ServiceError) => {
    if (cancelled) return;
    call.emit("error", statusError(err.code ?? grpc.status.UNAVAILABLE, err.details || err.message));
  });
  call.on("cancelled", () => {
    cancelled = true;
    upstream.cancel();
  });
}
