// Errors a request can end with, named by gRPC status so that pure code (machines, IPAM) can carry
// them and only the gRPC layer maps them to numbers.
export type StatusName =
  | "INVALID_ARGUMENT"
  | "NOT_FOUND"
  | "FAILED_PRECONDITION"
  | "PERMISSION_DENIED"
  | "RESOURCE_EXHAUSTED"
  | "UNAVAILABLE"
  | "DEADLINE_EXCEEDED"
  | "CANCELLED"
  | "INTERNAL";

export class RequestError extends Error {
  override name = "RequestError";
  constructor(
    readonly code: StatusName,
    message: string,
  ) {
    super(message);
  }
}

export const invalidArgument = (field: string, detail: string) =>
  new RequestError("INVALID_ARGUMENT", `${field}: ${detail}`);
