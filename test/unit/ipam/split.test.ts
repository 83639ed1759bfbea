// The pool split between domains: disjoint, equal, covering slices; refused when a slice could not
// hold one prefix.
import { describe, expect, it } from "vitest";
import { CidrError } from "../../../src/ipam/cidr.js";
import { splitPool } from "../../../src/ipam/split.js";

describe("splitPool", () => {
  it.each([
    ["172.16.0.0/16", 1, ["172.16.0.0/16"]],
    ["172.16.0.0/16", 2, ["172.16.0.0/17", "172.16.128.0/17"]],
    ["172.16.0.0/16", 3, ["172.16.0.0/18", "172.16.64.0/18", "172.16.128.0/18"]],
    ["fd00::/48", 2, ["fd00::/49", "fd00:0:0:8000::/49"]],
  ])("%s in %i parts", (pool, parts, out) => {
    expect(splitPool(pool, parts as number, 64)).toEqual(out);
  });

  it("refuses slices smaller than one prefix", () => {
    expect(() => splitPool("172.16.0.0/23", 3, 24)).toThrow(CidrError);
  });
});
