// client_allowed (registry) and the registry's path header: a name stays with the identity that first
// registered it; the path updates as sdk's registry updatepath does (reference §5.2, §7.3).
import { describe, expect, it } from "vitest";
import {
  clientAllowed,
  decodeRegistryPath,
  encodeRegistryPath,
  updateRegistryPath,
} from "../../../src/security/registry-path.js";

const E = "spiffe://k8s.nsm/ns/ns-a/pod/nse-vl3-1";
const F = "spiffe://k8s.nsm/ns/ns-b/pod/intruder";

describe("client_allowed", () => {
  const registered = new Map([["nse-vl3-1", [E, "spiffe://k8s.nsm/ns/nsm-system/pod/nsmgr-1"]]]);
  it.each<[string, string, string, RegExp | undefined]>([
    ["a new name, anyone", F, "nse-new", undefined],
    ["its first registrant refreshing", E, "nse-vl3-1", undefined],
    [
      "another identity taking the name (§7.3 step 7)",
      F,
      "nse-vl3-1",
      /"nse-vl3-1" is registered by another identity/,
    ],
    ["no identity at all", "", "nse-vl3-1", /another identity/],
  ])("%s", (_, id, name, denial) => {
    const reason = clientAllowed(id, name, registered);
    if (denial) expect(reason).toMatch(denial);
    else expect(reason).toBeUndefined();
  });
});

describe("the registry's path header", () => {
  it("is NSM's JSON, null for no segments", () => {
    expect(encodeRegistryPath({ index: 0, tokens: [] })).toBe('{"Index":0,"PathSegments":null}');
    expect(encodeRegistryPath({ index: 1, tokens: ["a", "b"] })).toBe(
      '{"Index":1,"PathSegments":[{"token":"a"},{"token":"b"}]}',
    );
    expect(decodeRegistryPath('{"Index":1,"PathSegments":[{"token":"a"},{"token":"b"}]}')).toEqual({
      index: 1,
      tokens: ["a", "b"],
    });
    expect(decodeRegistryPath('{"Index":0,"PathSegments":null}')).toEqual({ index: 0, tokens: [] });
    expect(decodeRegistryPath("not json")).toBeUndefined();
  });

  it("grows hop by hop: E → M → R, and a refresh overwrites in place", () => {
    const atM = updateRegistryPath({ index: 0, tokens: [] }, "τE", "τM'");
    expect(atM).toEqual({ index: 1, tokens: ["τE", "τM'"] });
    const atR = updateRegistryPath(atM, "τM", "τR");
    expect(atR).toEqual({ index: 2, tokens: ["τE", "τM", "τR"] });
    expect(updateRegistryPath({ index: 1, tokens: ["τE", "τM", "τR"] }, "τM2", "τR2")).toEqual({
      index: 2,
      tokens: ["τE", "τM2", "τR2"],
    });
    expect(() => updateRegistryPath({ index: 3, tokens: ["a"] }, "x", "y")).toThrow(/Index\+1==4/);
  });
});
