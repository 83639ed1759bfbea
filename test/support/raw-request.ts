// Requests written byte by byte, for what the generated encoder cannot send: a PathSegment whose
// expires.seconds is beyond what a JavaScript number holds (2^62), sent through a real grpc-js call.
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import * as grpc from "@grpc/grpc-js";
import type { Transport } from "../../src/grpc/transport.js";

/** A Request of NSC `name` for `service` whose segment says `expires.seconds = seconds`. */
export function requestWithExpiresSeconds(name: string, service: string, seconds: bigint): Uint8Array {
  const timestamp = new BinaryWriter().uint32(8).int64(seconds).finish();
  const segment = new BinaryWriter()
    .uint32(10)
    .string(name)
    .uint32(18)
    .string(`${name}-conn`)
    .uint32(34)
    .bytes(timestamp)
    .finish();
  const path = new BinaryWriter().uint32(8).uint32(0).uint32(18).bytes(segment).finish();
  const conn = new BinaryWriter()
    .uint32(10)
    .string(`${name}-conn`)
    .uint32(18)
    .string(service)
    .uint32(50)
    .bytes(path)
    .finish();
  return new BinaryWriter().uint32(10).bytes(conn).finish();
}

/** Sends raw Request bytes on a client of its own; resolves with the raw answer. */
export function sendRawRequest(
  target: string,
  bytes: Uint8Array,
  transport: Transport,
  timeoutMs = 10_000,
): Promise<Buffer> {
  const client = transport.client(grpc.Client, target);
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(
      "/networkservice.NetworkService/Request",
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.from(bytes),
      new grpc.Metadata(),
      { deadline: Date.now() + timeoutMs },
      (err, value) => {
        client.close();
        return err ? reject(err) : resolve(value!);
      },
    ),
  );
}
