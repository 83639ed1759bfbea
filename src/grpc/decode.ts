// Requests that protobuf decoding refuses reach the handler as a marked value instead of making
// grpc-js answer INTERNAL: an int64 beyond what a JavaScript number holds (PathSegment.expires.seconds
// = 2^62) or broken bytes are the client's fault, answered INVALID_ARGUMENT naming the field.
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { invalidArgument } from "../chain/errors.js";
import { Connection } from "./gen/networkservice/connection.js";
import { NetworkServiceRequest, NetworkServiceService } from "./gen/networkservice/networkservice.js";

const UNDECODABLE = Symbol("undecodable");

/** Protobuf's Timestamp range (RFC 3339): 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z, in seconds. */
const MIN_SECONDS = -62_135_596_800n;
const MAX_SECONDS = 253_402_300_799n;

/** The length-delimited values of field `no` in a message's bytes. */
function* fieldsOf(bytes: Uint8Array, no: number): Generator<Uint8Array> {
  const r = new BinaryReader(bytes);
  while (r.pos < r.len) {
    const [n, type] = r.tag();
    if (n === no && type === WireType.LengthDelimited) yield r.bytes();
    else r.skip(type, n);
  }
}

function secondsOf(timestamp: Uint8Array): bigint | undefined {
  const r = new BinaryReader(timestamp);
  let seconds: bigint | undefined;
  while (r.pos < r.len) {
    const [n, type] = r.tag();
    if (n === 1 && type === WireType.Varint) seconds = BigInt(r.int64());
    else r.skip(type, n);
  }
  return seconds;
}

/** Which field of a Connection's bytes cannot be decoded: a path segment's out-of-range expiry. */
export function badConnectionField(connection: Uint8Array): string | undefined {
  for (const path of fieldsOf(connection, 6)) {
    let i = 0;
    for (const segment of fieldsOf(path, 2)) {
      for (const expires of fieldsOf(segment, 4)) {
        const s = secondsOf(expires);
        if (s !== undefined && (s < MIN_SECONDS || s > MAX_SECONDS)) {
          return `connection.path.path_segments[${i}].expires`;
        }
      }
      i++;
    }
  }
  return undefined;
}

function tolerant<T>(decode: (b: Uint8Array) => T, locate: (b: Uint8Array) => string | undefined) {
  return (bytes: Buffer): T => {
    try {
      return decode(bytes);
    } catch (error) {
      let field: string | undefined;
      try {
        field = locate(bytes);
      } catch {
        field = undefined;
      }
      const detail = field
        ? "out of range (0001-01-01 to 9999-12-31)"
        : `cannot be decoded (${String(error)})`;
      return { [UNDECODABLE]: invalidArgument(field ?? "request", detail) } as T;
    }
  };
}

/** NetworkService whose requests that fail to decode reach the handler (see `refuseUndecodable`). */
export const tolerantNetworkService = {
  ...NetworkServiceService,
  request: {
    ...NetworkServiceService.request,
    requestDeserialize: tolerant(NetworkServiceRequest.decode, (b) => {
      for (const conn of fieldsOf(b, 1)) return badConnectionField(conn);
      return undefined;
    }),
  },
  close: {
    ...NetworkServiceService.close,
    requestDeserialize: tolerant(Connection.decode, badConnectionField),
  },
} as const;

/** Throws the INVALID_ARGUMENT of a request that could not be decoded; passes any other through. */
export function refuseUndecodable<T>(request: T): T {
  const error = (request as { [UNDECODABLE]?: Error })[UNDECODABLE];
  if (error) throw error;
  return request;
}
