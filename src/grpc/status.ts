// Maps errors to gRPC statuses: RequestError carries its own; anything else is INTERNAL. Messages
// quote client values at most 128 characters where they are made; the whole message is also cut
// here, so that no unforeseen message can echo a client's megabyte back (or overflow its metadata).
import * as grpc from "@grpc/grpc-js";
import { RequestError } from "../chain/errors.js";

export const MAX_DETAILS_CHARS = 512;

const cut = (message: string) =>
  message.length <= MAX_DETAILS_CHARS ? message : `${message.slice(0, MAX_DETAILS_CHARS)}… (cut)`;

export function toServiceError(error: unknown): Partial<grpc.ServiceError> {
  if (error instanceof RequestError) {
    const details = cut(error.message);
    return { code: grpc.status[error.code], details, message: details };
  }
  const details = cut(error instanceof Error ? error.message : String(error));
  return { code: grpc.status.INTERNAL, details, message: details };
}

/**
 * What a hop that forwards calls answers with: a status that came back from the next hop as it is (its
 * numeric code), anything else mapped as `toServiceError` does (a RequestError keeps its status name).
 */
export function asServiceError(error: unknown): grpc.ServiceError {
  return typeof (error as grpc.ServiceError)?.code === "number"
    ? (error as grpc.ServiceError)
    : (toServiceError(error) as grpc.ServiceError);
}

/** The caller's deadline as epoch ms, or `fallbackMs` from now if it set none. */
export function deadlineOf(call: grpc.ServerUnaryCall<unknown, unknown>, fallbackMs: number): number {
  const d = call.getDeadline();
  const ms = d instanceof Date ? d.getTime() : Number(d);
  return Number.isFinite(ms) && ms > 0 ? ms : Date.now() + fallbackMs;
}
