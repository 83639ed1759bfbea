// Small grpc-js call helpers shared by clients and servers (building them is src/grpc/transport.ts).
import * as grpc from "@grpc/grpc-js";

/** A unary method of a generated grpc-js client, in the form that takes metadata and call options. */
export type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: grpc.Metadata,
  options: Partial<grpc.CallOptions>,
  callback: (err: grpc.ServiceError | null, res: Res) => void,
) => grpc.ClientUnaryCall;

/** Calls a unary method of a generated client as a promise, with a deadline. */
export function unary<Req, Res>(
  client: grpc.Client,
  method: UnaryMethod<Req, Res>,
  request: Req,
  timeoutMs: number,
  metadata = new grpc.Metadata(),
): Promise<Res> {
  return new Promise((resolve, reject) => {
    method.call(client, request, metadata, { deadline: Date.now() + timeoutMs }, (err, res) =>
      err ? reject(err) : resolve(res),
    );
  });
}

/** A short description of a gRPC error for logs and error messages. */
export function describeError(err: unknown): string {
  const e = err as Partial<grpc.ServiceError>;
  if (typeof e?.code === "number") return `${grpc.status[e.code] ?? e.code}: ${e.details ?? e.message}`;
  return err instanceof Error ? err.message : String(err);
}

/** A gRPC status error for a server handler to return. */
export function statusError(code: grpc.status, details: string): Partial<grpc.StatusObject> & Error {
  return Object.assign(new Error(details), { code, details });
}
