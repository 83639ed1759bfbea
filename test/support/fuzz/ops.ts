// fast-check arbitraries for the endpoint fuzz test: operations of a few NSCs (new Requests,
// refreshes, Closes), valid and invalid mixed, plus hostile ones (take-overs, cancels, short
// deadlines, oversize values, loose addresses, out-of-range timestamps, peer marks).
import fc from "fast-check";
import { LIMITS } from "../../../src/chain/limits.js";
import { PEER_REQUEST_LABEL } from "../../../src/registry/labels.js";
import { SERVICE } from "../endpoint.js";

export const CLIENTS = 24;

/** Long values are one short unit repeated: JSON never escapes these characters, so echoes show. */
const UNIT_CHARS = "abcxyz0189.:/-_ ".split("");
export const longText = fc
  .record({
    unit: fc.string({ minLength: 1, maxLength: 3, unit: fc.constantFrom(...UNIT_CHARS) }),
    length: fc.integer({ min: 129, max: 5000 }),
  })
  .map(({ unit, length }) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length));

const junk = fc.oneof(fc.string({ maxLength: 20 }), fc.string({ maxLength: 8, unit: "grapheme" }), longText);

/** Addresses and prefixes: good ones in and out of the pool, and every loose form. */
const address = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 254 }).map((h) => `172.16.0.${h}/32`) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 255 }).map((h) => `10.1.${h}.0/24`) },
  fc.constantFrom(
    " 172.16.0.9/32",
    "172.16.0.9/32 ",
    "::ffff:172.16.0.9/128",
    "fe80::1%eth0/128",
    "010.1.2.3/32",
    "172.16.0.9",
    "FD00:0::9/128",
    "10.1.2.3/8",
    "0.0.0.0/0",
    "::/0",
    "172.16.0.0/33",
  ),
  junk,
);

const labels = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 }), { maxKeys: 4 }),
  },
  fc.dictionary(fc.string({ maxLength: 10 }), longText, { minKeys: 1, maxKeys: 2 }),
  fc.constant(Object.fromEntries(Array.from({ length: LIMITS.labels + 1 }, (_, i) => [`k${i}`, "v"]))),
  fc.constant({ [PEER_REQUEST_LABEL]: "nse-a" }),
  fc.constant({ [PEER_REQUEST_LABEL]: "nse-test" }),
);

const ipContext = fc.record(
  {
    srcIpAddrs: fc.array(address, { maxLength: 2 }),
    dstIpAddrs: fc.array(address, { maxLength: 1 }),
    excludedPrefixes: fc.oneof(
      { weight: 8, arbitrary: fc.array(address, { maxLength: 4 }) },
      fc.constant(Array.from({ length: LIMITS.excludedPrefixes + 1 }, () => "10.0.0.0/8")),
    ),
    srcRoutes: fc.array(
      fc.record({
        prefix: address,
        nextHop: fc.oneof(
          fc.constant(""),
          address.map((a) => a.split("/")[0]!),
        ),
      }),
      { maxLength: 2 },
    ),
  },
  { requiredKeys: [] },
);

const mechanisms = fc.oneof(
  { weight: 6, arbitrary: fc.constant([{ cls: "LOCAL", type: "KERNEL", parameters: {} }]) },
  fc.constant([{ cls: "LOCAL", type: "MEMIF", parameters: {} }]),
  fc.constant([]),
  fc.array(
    fc.record({ cls: fc.oneof(fc.constant("LOCAL"), junk), type: junk, parameters: fc.constant({}) }),
    { maxLength: 3 },
  ),
);

const rarely = fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, fc.constant(true));

/** What a new Request of client `client` carries, bent in the ways a hostile client would. */
export const newRequest = fc.record({
  client: fc.integer({ min: 0, max: CLIENTS - 1 }),
  service: fc.oneof({ weight: 12, arbitrary: fc.constant(SERVICE) }, junk, fc.constant("")),
  labels: fc.option(labels, { nil: undefined, freq: 2 }),
  ipContext: fc.option(ipContext, { nil: undefined, freq: 2 }),
  mechanisms,
  /** Milliseconds from now the NSC's segment expires; beyond protobuf's range at times. */
  expires: fc.oneof(
    { weight: 10, arbitrary: fc.constant(60_000) },
    // Past; past protobuf's year 9999; before its year 1; far but valid (the lifetime is capped).
    fc.constantFrom(-1000, 300_000_000_000_000, -70_000_000_000_000, 10_000_000_000_000),
  ),
  extraSegments: fc.oneof(
    { weight: 10, arbitrary: fc.constant(0) },
    fc.integer({ min: 1, max: LIMITS.pathSegments + 2 }),
  ),
  badIndex: rarely,
  bare: rarely,
});
export type NewRequest = typeof newRequest extends fc.Arbitrary<infer T> ? T : never;

export type Op =
  | { kind: "request"; req: NewRequest }
  | { kind: "refresh"; client: number; excluded?: string[] }
  | { kind: "close"; client: number; by?: number; bare?: boolean }
  | { kind: "hijack"; client: number; by: number }
  | { kind: "cancel"; req: NewRequest }
  | { kind: "deadline"; req: NewRequest; ms: number }
  | { kind: "oversize"; client: number }
  /** A Request whose segment's expires.seconds is written raw: beyond a JavaScript number at times. */
  | { kind: "rawExpiry"; client: number; seconds: bigint };

const client = fc.integer({ min: 0, max: CLIENTS - 1 });

export const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 30, arbitrary: newRequest.map((req) => ({ kind: "request" as const, req })) },
  {
    weight: 25,
    arbitrary: fc.record({
      kind: fc.constant("refresh" as const),
      client,
      excluded: fc.option(fc.array(address, { maxLength: 2 }), { nil: undefined }),
    }),
  },
  {
    weight: 20,
    arbitrary: fc.record({
      kind: fc.constant("close" as const),
      client,
      by: fc.option(client, { nil: undefined, freq: 4 }),
      bare: fc.boolean(),
    }),
  },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("hijack" as const), client, by: client }) },
  { weight: 6, arbitrary: newRequest.map((req) => ({ kind: "cancel" as const, req })) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("deadline" as const),
      req: newRequest,
      ms: fc.integer({ min: 1, max: 20 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("oversize" as const), client }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("rawExpiry" as const),
      client,
      seconds: fc.oneof(
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        fc.constantFrom(2n ** 62n, 253_402_300_800n),
      ),
    }),
  },
);
