// The one gRPC URL parser, by a table of cases: what each written form means, its grpc-js target and
// its canonical form, and which strings are refused with a reason.
import { describe, expect, it } from "vitest";
import { formatGrpcUrl, GrpcUrlError, grpcTarget, parseGrpcUrl, toGrpcUrl } from "../../../src/grpc/url.js";

describe("parseGrpcUrl", () => {
  const good: Array<[raw: string, url: object, target: string, canonical: string]> = [
    [
      "unix:///var/lib/nsm/nsm.io.sock",
      { kind: "unix", path: "/var/lib/nsm/nsm.io.sock" },
      "unix:///var/lib/nsm/nsm.io.sock",
      "unix:///var/lib/nsm/nsm.io.sock",
    ],
    [
      "tcp://127.0.0.1:5002",
      { kind: "tcp", host: "127.0.0.1", port: 5002 },
      "127.0.0.1:5002",
      "tcp://127.0.0.1:5002",
    ],
    ["127.0.0.1:0", { kind: "tcp", host: "127.0.0.1", port: 0 }, "127.0.0.1:0", "tcp://127.0.0.1:0"],
    [
      "registry.nsm-system:5002",
      { kind: "tcp", host: "registry.nsm-system", port: 5002 },
      "registry.nsm-system:5002",
      "tcp://registry.nsm-system:5002",
    ],
    [":5003", { kind: "tcp", host: "0.0.0.0", port: 5003 }, "0.0.0.0:5003", "tcp://0.0.0.0:5003"],
    ["tcp://[::1]:5004", { kind: "tcp", host: "::1", port: 5004 }, "[::1]:5004", "tcp://[::1]:5004"],
    [
      "[fd00::1]:65535",
      { kind: "tcp", host: "fd00::1", port: 65535 },
      "[fd00::1]:65535",
      "tcp://[fd00::1]:65535",
    ],
    [
      "  tcp://198.18.0.1:80 ",
      { kind: "tcp", host: "198.18.0.1", port: 80 },
      "198.18.0.1:80",
      "tcp://198.18.0.1:80",
    ],
  ];
  it.each(good)("%s", (raw, url, target, canonical) => {
    const parsed = parseGrpcUrl(raw);
    expect(parsed).toEqual(url);
    expect(grpcTarget(parsed)).toBe(target);
    expect(formatGrpcUrl(parsed)).toBe(canonical);
    // The canonical form reads back as the same URL.
    expect(parseGrpcUrl(formatGrpcUrl(parsed))).toEqual(parsed);
  });

  const bad: Array<[raw: string, reason: RegExp]> = [
    ["unix://relative/path", /absolute/],
    ["", /is not a URL/],
    ["localhost", /is not a URL/],
    ["tcp://host:65536", /is not a URL/],
    ["tcp://host:port", /is not a URL/],
    ["http://host:80", /is not a URL/],
    ["::1:5000", /is not a URL/],
    ["host:123456", /is not a URL/],
  ];
  it.each(bad)("refuses %j", (raw, reason) => {
    expect(() => parseGrpcUrl(raw)).toThrow(GrpcUrlError);
    expect(() => parseGrpcUrl(raw)).toThrow(reason);
  });

  it("takes a GrpcUrl as it is and parses a string", () => {
    const url = { kind: "unix", path: "/tmp/x.sock" } as const;
    expect(toGrpcUrl(url)).toBe(url);
    expect(toGrpcUrl("unix:///tmp/x.sock")).toEqual(url);
  });
});
