// SPIFFE IDs and trust domains as the SPIFFE ID standard defines them: parsing (with errors
// naming the field), trust-domain membership and comparison. A table of cases, pure.
import { describe, expect, it } from "vitest";
import {
  isSpiffeId,
  memberOf,
  parseSpiffeId,
  parseTrustDomain,
  SpiffeIdError,
  sameSpiffeId,
  trustDomainId,
} from "../../../src/security/spiffe-id.js";

describe("parseSpiffeId: what the SPIFFE ID standard accepts", () => {
  it.each([
    ["spiffe://k8s.nsm/ns/nsm-system/pod/nsmgr-1", "k8s.nsm", "/ns/nsm-system/pod/nsmgr-1"],
    ["spiffe://example.org", "example.org", ""],
    ["spiffe://a-b_c.9/X.y_z-1", "a-b_c.9", "/X.y_z-1"],
  ])("%s", (input, trustDomain, path) => {
    const id = parseSpiffeId(input);
    expect(id).toEqual({ trustDomain, path, uri: input });
  });

  it.each([
    ["http://example.org/a", "scheme"],
    ["spiffe:/example.org/a", "scheme"],
    ["SPIFFE://example.org/a", "scheme"],
    ["spiffe://", "trust domain is empty"],
    ["spiffe:///a", "trust domain is empty"],
    ["spiffe://Example.org/a", "lower case"],
    ["spiffe://example.org:8080/a", "port"],
    ["spiffe://user@example.org/a", "user info"],
    ["spiffe://example.org/a?x=1", "character outside"],
    ["spiffe://example.org/a#f", "character outside"],
    ["spiffe://example.org/", "empty segment"],
    ["spiffe://example.org/a//b", "empty segment"],
    ["spiffe://example.org/a/./b", '"." is not allowed'],
    ["spiffe://example.org/a/..", '".." is not allowed'],
    ["spiffe://example.org/a%20b", "character outside"],
    [`spiffe://example.org/${"a".repeat(2048)}`, "longer than"],
  ])("rejects %s (%s)", (input, why) => {
    expect(() => parseSpiffeId(input)).toThrow(SpiffeIdError);
    expect(() => parseSpiffeId(input)).toThrow(why);
  });

  it("names the field in the error", () => {
    expect(() => parseSpiffeId("spiffe://x/", "NSM_ALLOWED_SPIFFE_IDS")).toThrow(
      'NSM_ALLOWED_SPIFFE_IDS: "spiffe://x/" is not a SPIFFE ID',
    );
  });
});

describe("trust domains", () => {
  it.each([
    ["example.org", "example.org"],
    ["spiffe://example.org", "example.org"],
  ])("parseTrustDomain(%s) is %s", (input, td) => {
    expect(parseTrustDomain(input)).toBe(td);
  });

  it.each(["", "spiffe://example.org/a", "Example.org", "example.org:1"])("rejects %j", (input) => {
    expect(() => parseTrustDomain(input)).toThrow(SpiffeIdError);
  });

  it("memberOf compares trust domains, bare or as an ID", () => {
    expect(memberOf("spiffe://k8s.nsm/ns/a/pod/b", "k8s.nsm")).toBe(true);
    expect(memberOf("spiffe://k8s.nsm/ns/a/pod/b", "spiffe://k8s.nsm")).toBe(true);
    expect(memberOf("spiffe://k8s.nsm.evil/ns/a", "k8s.nsm")).toBe(false);
    expect(memberOf("spiffe://docker.nsm/ns/a", "k8s.nsm")).toBe(false);
    expect(memberOf("not an id", "k8s.nsm")).toBe(false);
  });

  it("trustDomainId is the key of federated bundles", () => {
    expect(trustDomainId("example.org")).toBe("spiffe://example.org");
  });
});

describe("comparing IDs", () => {
  it.each([
    ["spiffe://a/b", "spiffe://a/b", true],
    ["spiffe://a/b", "spiffe://a/c", false],
    ["spiffe://a/b", "spiffe://a/B", false],
    ["spiffe://a/b", "spiffe://a/b/", false],
  ])("sameSpiffeId(%s, %s) = %s", (a, b, same) => {
    expect(sameSpiffeId(a, b)).toBe(same);
  });

  it("isSpiffeId never throws", () => {
    expect(isSpiffeId("spiffe://a/b")).toBe(true);
    expect(isSpiffeId("spiffe://a/b?")).toBe(false);
  });
});
