// The reused writer behind every generated serializer (src/grpc/serialize.ts): its bytes are exactly
// ts-proto's own encoding, whatever came before (a bigger message, a failed encode, an encode started
// inside another), and a shared message is encoded once.
import { describe, expect, it } from "vitest";
import {
  Connection,
  ConnectionEvent,
  ConnectionEventType,
} from "../../../src/grpc/gen/networkservice/connection.js";
import { NetworkServiceService } from "../../../src/grpc/gen/networkservice/networkservice.js";
import { NetworkServiceEndpointRegistryService } from "../../../src/grpc/gen/registry/registry.js";
import {
  encodedAs,
  keepEncoding,
  serialize,
  shareEncoding,
  writerReadInPlace,
} from "../../../src/grpc/serialize.js";

const reference = (m: Connection) => Buffer.from(Connection.encode(m).finish());

function connection(id: string, segments = 3, padding = 0): Connection {
  return Connection.fromPartial({
    id,
    networkService: "vl3-service",
    mechanism: {
      cls: "REMOTE",
      type: "KERNEL",
      parameters: { name: "nsm-1", inodeURL: "inode://4/4026532" },
    },
    context: {
      ipContext: { srcIpAddrs: ["172.16.5.1/32"], dstRoutes: [{ prefix: "172.16.5.0/24" }] },
      MTU: 1446,
    },
    labels: { nodeName: "node-1", "app.kubernetes.io/name": "nse-ü" },
    path: {
      index: 1,
      pathSegments: Array.from({ length: segments }, (_, i) => ({
        name: `hop-${i}`,
        id: `${id}-${i}`,
        token: "t".repeat(padding),
        expires: new Date(1_800_000_000_000 + i),
        metrics: { i: String(i) },
      })),
    },
    networkServiceEndpointName: "nse-b",
    payload: "IP",
  });
}

describe("serialize (one reused protobuf writer)", () => {
  it("reads the writer in place with the pinned @bufbuild/protobuf (else a copy more, silently)", () => {
    expect(writerReadInPlace).toBe(true);
  });

  it("gives ts-proto's bytes for nested messages and maps, and they decode back", () => {
    const m = connection("a");
    const bytes = serialize(Connection, m);
    expect(Buffer.isBuffer(bytes)).toBe(true);
    expect(bytes.equals(reference(m))).toBe(true);
    expect(Connection.decode(bytes)).toEqual(m);
    const event = ConnectionEvent.fromPartial({ type: ConnectionEventType.UPDATE, connections: { a: m } });
    expect(ConnectionEvent.decode(serialize(ConnectionEvent, event))).toEqual(event);
  });

  it("stays right across sizes: small after big, bigger than any before, beyond the kept size", () => {
    const sizes = [0, 2_000, 10, 70_000, 5, 300_000, 1, 40];
    const outputs = sizes.map((pad, i) => {
      const m = connection(`m${i}`, 2, pad);
      return { m, bytes: serialize(Connection, m) };
    });
    // Checked after all of them: no earlier Buffer was overwritten by a later encode.
    for (const { m, bytes } of outputs) {
      expect(bytes.equals(reference(m))).toBe(true);
      expect(Connection.decode(bytes)).toEqual(m);
    }
  });

  it("an encode started inside another (a getter that serializes) leaves both right", () => {
    const inner = connection("inner");
    let innerBytes: Buffer | undefined;
    const outer = connection("outer");
    const plain = { ...outer };
    Object.defineProperty(outer, "payload", {
      enumerable: true,
      get() {
        innerBytes = serialize(Connection, inner);
        return plain.payload;
      },
    });
    const outerBytes = serialize(Connection, outer);
    expect(innerBytes?.equals(reference(inner))).toBe(true);
    expect(outerBytes.equals(reference(plain))).toBe(true);
  });

  it("a failed encode leaves nothing behind for the next one", () => {
    const bad = connection("bad");
    bad.path!.index = -1.5; // not a uint32: the writer throws halfway through the message
    expect(() => serialize(Connection, bad)).toThrow();
    const good = connection("good");
    expect(serialize(Connection, good).equals(reference(good))).toBe(true);
  });

  it("a shared message is encoded once: every send gets the same bytes", () => {
    const m = shareEncoding(connection("shared"));
    const first = serialize(Connection, m);
    const again = serialize(Connection, m);
    expect(again).toBe(first);
    expect(first.equals(reference(m))).toBe(true);
    // Kept as long as the message: its own memory, not a slice of Buffer's pool.
    expect(first.buffer.byteLength).toBe(first.length);
    const unshared = connection("shared");
    expect(serialize(Connection, unshared)).not.toBe(serialize(Connection, unshared));
  });

  it("a relayed message goes on as the bytes it came as, decoded or not", () => {
    const m = connection("relayed");
    const bytes = reference(m);
    expect(serialize(Connection, encodedAs<Connection>(bytes))).toBe(bytes);
    const decoded = keepEncoding(Connection.decode(bytes), bytes);
    expect(decoded).toEqual(m);
    expect(serialize(Connection, decoded)).toBe(bytes);
  });

  it("is what the generated service definitions serialize with", () => {
    const m = connection("svc");
    expect(NetworkServiceService.request.responseSerialize(m).equals(reference(m))).toBe(true);
    const m2 = shareEncoding(connection("svc2"));
    expect(NetworkServiceService.close.requestSerialize(m2)).toBe(serialize(Connection, m2));
    const response = { networkServiceEndpoint: undefined, deleted: true };
    expect(
      NetworkServiceEndpointRegistryService.find.responseDeserialize(
        NetworkServiceEndpointRegistryService.find.responseSerialize(response),
      ),
    ).toEqual(response);
  });
});
