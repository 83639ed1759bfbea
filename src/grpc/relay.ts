// Server streams read by a hop that passes their messages on: what it writes on unchanged goes out as
// the bytes the upstream server sent, not decoded and encoded again (serialize.ts). The sandbox nsmgr
// relays a registry Find to its endpoints this way, and an endpoint's monitor events to their callers.
import type * as grpc from "@grpc/grpc-js";
import { encodedAs, keepEncoding } from "./serialize.js";

interface StreamMethod<Req, Res> {
  path: string;
  requestSerialize(request: Req): Buffer;
  responseDeserialize(bytes: Buffer): Res;
}

/**
 * Calls `method` (server streaming) on `client`. Each message arrives as an opaque stand-in for its
 * bytes, to be written only to a server stream of the same response type; with `read`, decoded too
 * (to be read, never changed), and written on as it came it still goes out as its bytes.
 */
export function relayedStream<Req, Res extends object>(
  client: grpc.Client,
  method: StreamMethod<Req, Res>,
  request: Req,
  o: { read?: boolean } = {},
): grpc.ClientReadableStream<Res> {
  const deserialize = o.read
    ? (bytes: Buffer) => keepEncoding(method.responseDeserialize(bytes), bytes)
    : (bytes: Buffer) => encodedAs<Res>(bytes);
  return client.makeServerStreamRequest(
    method.path,
    (r: Req) => method.requestSerialize(r),
    deserialize,
    request,
  );
}
