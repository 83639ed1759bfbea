// Handshake authorizers: which peer SPIFFE IDs an mTLS connection accepts (the same trust domain
// by default; or a configured list of exact IDs, trust domains and path prefixes ending in *), and
// errors that name the setting for a refused ID or a bad entry.
import { describe, expect, it } from "vitest";
import { authorizerFrom, sameTrustDomain } from "../../../src/security/authorizer.js";

describe("authorizers: which peer SPIFFE IDs a handshake accepts", () => {
  it.each([
    ["spiffe://k8s.nsm/ns/a/pod/x", undefined],
    ["spiffe://docker.nsm/ns/a/pod/x", "not in the trust domain k8s.nsm"],
  ])("by default %s → %s", (id, why) => {
    const out = sameTrustDomain(id, "k8s.nsm");
    if (why) expect(out).toContain(why);
    else expect(out).toBeUndefined();
  });

  const configured = authorizerFrom(
    ["spiffe://k8s.nsm/ns/nsm-system/pod/nsmgr-1", "spiffe://docker.nsm", "spiffe://k8s.nsm/ns/vl3/*"],
    "NSM_ALLOWED_SPIFFE_IDS",
  );
  it.each([
    ["spiffe://k8s.nsm/ns/nsm-system/pod/nsmgr-1", true],
    ["spiffe://k8s.nsm/ns/nsm-system/pod/nsmgr-2", false],
    ["spiffe://docker.nsm/anything/at/all", true],
    ["spiffe://k8s.nsm/ns/vl3/pod/nse-1", true],
    ["spiffe://k8s.nsm/ns/vl3", false],
    ["spiffe://k8s.nsm/ns/vl3x/pod/a", false],
  ])("configured: %s accepted = %s", (id, ok) => {
    const out = configured(id, "k8s.nsm");
    if (ok) expect(out).toBeUndefined();
    else expect(out).toContain("(NSM_ALLOWED_SPIFFE_IDS)");
  });

  it("an empty list is the default; a bad entry names the setting", () => {
    expect(authorizerFrom([], "X")).toBe(sameTrustDomain);
    expect(() => authorizerFrom(["spiffe://A/x"], "NSM_ALLOWED_SPIFFE_IDS")).toThrow(
      "NSM_ALLOWED_SPIFFE_IDS:",
    );
  });
});
