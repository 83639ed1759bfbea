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

/** Calls `method` (server streaming) on `client`; each message arrives as an opaque stand-in for its
 * bytes, to be written only to a server stream of the same response type. */
export function relayedStream<Req, Res>(
  client: grpc.Client,
  method: StreamMethod<Req, Res>,
  request: Req,
): grpc.ClientReadableStream<Res> {
  return client.makeServerStreamRequest(
    method.path,
    (r: Req) => method.requestSerialize(r),
    (bytes: Buffer) => encodedAs<Res>(bytes),
    request,
  );
}

/** As `relayedStream`, but each message is decoded (to be read, never changed): written on as it
 * came, it goes out as its bytes. */
export function readRelayedStream<Req, Res extends object>(
  client: grpc.Client,
  method: StreamMethod<Req, Res>,
  request: Req,
): grpc.ClientReadableStream<Res> {
  return client.makeServerStreamRequest(
    method.path,
    (r: Req) => method.requestSerialize(r),
    (bytes: Buffer) => keepEncoding(method.responseDeserialize(bytes), bytes),
    request,
  );
}
