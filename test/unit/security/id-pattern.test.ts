// SPIFFE ID patterns for peers: `*` within one segment, the default made from our own ID.
import { describe, expect, it } from "vitest";
import { idMatcher, parseIdPattern, siblingsPattern } from "../../../src/security/id-pattern.js";

describe("SPIFFE ID patterns", () => {
  it.each([
    ["spiffe://k8s.nsm/ns/vl3/pod/*", "spiffe://k8s.nsm/ns/vl3/pod/nse-1", true],
    ["spiffe://k8s.nsm/ns/vl3/pod/*", "spiffe://k8s.nsm/ns/vl3/pod/nse-1/x", false],
    ["spiffe://k8s.nsm/ns/vl3/pod/*", "spiffe://k8s.nsm/ns/other/pod/nse-1", false],
    ["spiffe://k8s.nsm/ns/vl3/pod/*", "spiffe://evil.nsm/ns/vl3/pod/nse-1", false],
    ["spiffe://k8s.nsm/ns/*/pod/nse-*", "spiffe://k8s.nsm/ns/a/pod/nse-7", true],
    ["spiffe://k8s.nsm/ns/*/pod/nse-*", "spiffe://k8s.nsm/ns/a/pod/nsc-7", false],
    ["spiffe://k8s.nsm/ns/vl3/pod/nse-1", "spiffe://k8s.nsm/ns/vl3/pod/nse-1", true],
    ["spiffe://k8s.nsm/ns/vl3/pod/nse.1", "spiffe://k8s.nsm/ns/vl3/pod/nseX1", false],
  ])("%s against %s: %s", (pattern, id, allowed) => {
    expect(idMatcher([pattern], "NSM_X")(id)).toBe(allowed);
  });

  it("allows what any pattern of a list allows, and nobody with an empty list", () => {
    const m = idMatcher(["spiffe://a.org/x/*", "spiffe://b.org/y"], "NSM_X");
    expect([m("spiffe://a.org/x/1"), m("spiffe://b.org/y"), m("spiffe://b.org/z")]).toEqual([
      true,
      true,
      false,
    ]);
    expect(idMatcher([], "NSM_X")("spiffe://a.org/x/1")).toBe(false);
  });

  it.each([
    "k8s.nsm/ns/*",
    "spiffe://K8S/ns/*",
    "spiffe://k8s.nsm/ns//x",
    "spiffe://k8s.nsm/ns/a b",
  ])("refuses %j naming the setting", (pattern) =>
    expect(() => parseIdPattern(pattern, "NSM_PEER_SPIFFE_IDS")).toThrow(/NSM_PEER_SPIFFE_IDS/));

  it.each([
    ["spiffe://k8s.nsm/ns/vl3/pod/nse-1", "spiffe://k8s.nsm/ns/vl3/pod/*"],
    ["spiffe://example.org/vl3-nse", "spiffe://example.org/*"],
  ])("makes %s's siblings %s", (own, pattern) => expect(siblingsPattern(own)).toBe(pattern));
});
