// The documented limits: each is refused one over, naming the field, and allowed at the limit.
import { describe, expect, it } from "vitest";
import { RequestError } from "../../../src/chain/errors.js";
import { checkRequestLimits, LIMITS, limits } from "../../../src/chain/limits.js";
import type { Connection } from "../../../src/grpc/gen/networkservice/connection.js";
import { ctx, recorder, req } from "./fixtures.js";

const n = <T>(count: number, f: (i: number) => T): T[] => Array.from({ length: count }, (_, i) => f(i));
const map = (count: number) => Object.fromEntries(n(count, (i) => [`k${i}`, "v"] as never));
type Shape = Parameters<typeof req>[0];

const cases: Array<[string, (over: number) => Shape]> = [
  ["connection.labels", (k) => ({ labels: map(LIMITS.labels + k) })],
  [
    "connection.path.path_segments",
    (k) => ({ path: { pathSegments: n(LIMITS.pathSegments + k, (i) => ({ name: `h${i}` }) as never) } }),
  ],
  [
    "connection.path.path_segments[0].token",
    (k) => ({ path: { pathSegments: [{ name: "a", token: "t".repeat(LIMITS.tokenChars + k) }] } }),
  ],
  ["connection.network_service", (k) => ({ networkService: "s".repeat(LIMITS.nameChars + k) })],
  [
    "connection.context.ip_context.excluded_prefixes",
    (k) => ({
      context: { ipContext: { excludedPrefixes: n(LIMITS.excludedPrefixes + k, () => "10.0.0.0/8") } },
    }),
  ],
  [
    "connection.context.ip_context.src_routes",
    (k) => ({
      context: {
        ipContext: { srcRoutes: n(LIMITS.ipEntries + k, () => ({ prefix: "10.0.0.0/8" }) as never) },
      },
    }),
  ],
  [
    "connection.context.dns_context.configs",
    (k) => ({ context: { dnsContext: { configs: n(LIMITS.dnsEntries + k, () => ({}) as never) } } }),
  ],
  ["connection.context.extra_context", (k) => ({ context: { extraContext: map(LIMITS.labels + k) } })],
];

describe("checkRequestLimits", () => {
  it.each(cases)("refuses one too many in %s and allows the limit", (field, make) => {
    expect(() => checkRequestLimits(req(make(0)))).not.toThrow();
    try {
      checkRequestLimits(req(make(1)));
      throw new Error("allowed");
    } catch (e) {
      expect(e).toBeInstanceOf(RequestError);
      expect((e as RequestError).code).toBe("INVALID_ARGUMENT");
      expect((e as RequestError).message.startsWith(`${field}: `)).toBe(true);
    }
  });

  it("refuses a long label value naming its key, quoted", () => {
    expect(() => checkRequestLimits(req({ labels: { app: "v".repeat(LIMITS.valueChars + 1) } }))).toThrow(
      /^connection\.labels\["app"\]: 1025 characters; at most 1024$/,
    );
  });

  it("refuses too many mechanism preferences", () => {
    const prefs = n(LIMITS.mechanisms + 1, () => ({ cls: "LOCAL", type: "KERNEL" }) as never);
    expect(() => checkRequestLimits(req({}, prefs))).toThrow(
      /^mechanism_preferences: 17 entries; at most 16$/,
    );
  });
});

describe("limits element", () => {
  it("checks Requests and Closes before the next element sees them", async () => {
    const r = recorder();
    const handler = limits()(r.next);
    const big = req({ labels: map(LIMITS.labels + 1) });
    expect(() => handler.request(big, ctx())).toThrow(RequestError);
    expect(() => handler.close(big.connection as Connection, ctx())).toThrow(RequestError);
    expect(r.requests.length + r.closes.length).toBe(0);
  });
});
