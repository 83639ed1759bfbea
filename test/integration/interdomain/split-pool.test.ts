// The other way to keep prefixes apart across domains: the pool split per domain, each domain with its
// own prefix server over its slice. Every endpoint's prefix lies in its domain's slice; one mesh.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCidr } from "../../../src/ipam/cidr.js";
import { Domains, eventually, expectDistinctPrefixes, expectFullMesh } from "./helpers.js";

describe("two domains, the pool split between them", () => {
  let w: Domains;

  beforeAll(async () => {
    w = await Domains.start({ domains: 2, prefixes: "split" });
    await Promise.all([
      w.startEndpoint("cluster1", "nse-a"),
      w.startEndpoint("cluster1", "nse-b"),
      w.startEndpoint("cluster2", "nse-a"),
    ]);
  });

  afterAll(() => w?.stop());

  it("gives each endpoint a prefix of its own domain's slice and converges", async () => {
    await eventually(() => expectFullMesh(w, 3), 20_000);
    const slices = w.sb.interdomain!.slices!;
    expect(slices).toEqual(["172.16.0.0/17", "172.16.128.0/17"]);
    for (const m of w.members()) {
      const slice = parseCidr(slices[m.domain === "cluster1" ? 0 : 1]!);
      expect(slice.containsCidr(parseCidr(m.nse.endpoint.prefix!)), `${m.id} in ${slice}`).toBe(true);
    }
    expectDistinctPrefixes(w.members().map((m) => m.nse.endpoint.prefix!));
  });
});
