// Who may peer: NSM_PEER_SPIFFE_IDS in the TLS setting's forms, or our own ID's siblings by default.
import { describe, expect, it } from "vitest";
import { peerAllowance, siblingsPattern } from "../../../src/security/peer-allowance.js";

const OWN = "spiffe://k8s.nsm/ns/vl3/pod/nse-1";

describe("peerAllowance", () => {
  it.each<[string[], string, boolean]>([
    [[], "spiffe://k8s.nsm/ns/vl3/pod/nse-2", true],
    [[], "spiffe://k8s.nsm/ns/other/pod/nse-2", false],
    [[], "spiffe://evil.nsm/ns/vl3/pod/nse-2", false],
    [[], "not an id", false],
    [["spiffe://k8s.nsm/ns/vl3/pod/nse-2"], "spiffe://k8s.nsm/ns/vl3/pod/nse-2", true],
    [["spiffe://k8s.nsm/ns/vl3/pod/nse-2"], "spiffe://k8s.nsm/ns/vl3/pod/nse-3", false],
    [["spiffe://k8s.nsm/ns/a/*", "spiffe://b.org"], "spiffe://k8s.nsm/ns/a/pod/x", true],
    [["spiffe://k8s.nsm/ns/a/*", "spiffe://b.org"], "spiffe://b.org/anything", true],
    [["spiffe://k8s.nsm/ns/a/*", "spiffe://b.org"], "spiffe://k8s.nsm/ns/b/pod/x", false],
  ])("%j allows %s: %s", (entries, id, allowed) => {
    expect(peerAllowance(entries, () => OWN).test(id)).toBe(allowed);
  });

  it("follows our own ID, and allows nobody before we have one", () => {
    let own: string | undefined;
    const a = peerAllowance([], () => own);
    expect(a.test("spiffe://k8s.nsm/ns/vl3/pod/nse-2")).toBe(false);
    expect(a.describe).toMatch(/nobody/);
    own = OWN;
    expect(a.test("spiffe://k8s.nsm/ns/vl3/pod/nse-2")).toBe(true);
    expect(a.describe).toBe("spiffe://k8s.nsm/ns/vl3/pod/*");
  });

  it("refuses a bad entry naming the setting", () => {
    expect(() => peerAllowance(["k8s.nsm/ns/*"], () => OWN)).toThrow(/NSM_PEER_SPIFFE_IDS/);
  });

  it.each([
    [OWN, "spiffe://k8s.nsm/ns/vl3/pod/*"],
    ["spiffe://example.org/vl3-nse", "spiffe://example.org"],
  ])("makes %s's siblings %s", (own, pattern) => expect(siblingsPattern(own)).toBe(pattern));
});
