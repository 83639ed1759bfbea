// Maps errors to gRPC statuses: RequestError carries its own; anything else is INTERNAL.
import * as grpc from "@grpc/grpc-js";
import { RequestError } from "../chain/errors.js";

export function toServiceError(error: unknown): Partial<grpc.ServiceError> {
  if (error instanceof RequestError) {
    return { code: grpc.status[error.code], details: error.message, message: error.message };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: grpc.status.INTERNAL, details: message, message };
}

/** The caller's deadline as epoch ms, or `fallbackMs` from now if it set none. */
export function deadlineOf(call: grpc.ServerUnaryCall<unknown, unknown>, fallbackMs: number): number {
  const d = call.getDeadline();
  const ms = d instanceof Date ? d.getTime() : Number(d);
  return Number.isFinite(ms) && ms > 0 ? ms : Date.now() + fallbackMs;
}
