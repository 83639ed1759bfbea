// Two NSM domains, each with its own registry, nsmgr, registry proxy and nsmgr proxy, tied by a fake
// DNS: their vl3-nse endpoints find each other through `svc@domain` watches on their local registry
// and become one full mesh, links crossing both nsmgr proxies, prefixes from one shared server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Domains, eventually, expectDistinctPrefixes, expectFullMesh } from "./helpers.js";

describe("two domains", () => {
  let w: Domains;

  beforeAll(async () => {
    w = await Domains.start({ domains: 2 });
    await Promise.all([
      w.startEndpoint("cluster1", "nse-a"),
      w.startEndpoint("cluster2", "nse-b"),
      w.startEndpoint("cluster1", "nse-c"),
      w.startEndpoint("cluster2", "nse-d"),
    ]);
  });

  afterAll(() => w?.stop());

  it("converge to one full mesh with no duplicate prefix", async () => {
    await eventually(() => expectFullMesh(w, 4), 20_000);
    expectDistinctPrefixes(w.members().map((m) => m.nse.endpoint.prefix!));
    expect(
      w
        .members()
        .map((m) => m.id)
        .sort(),
    ).toEqual(["nse-a@cluster1", "nse-b@cluster2", "nse-c@cluster1", "nse-d@cluster2"]);
  });

  it("cross-domain links pass both nsmgr proxies; the domains were found by DNS", () => {
    // Each cross pair's link is forwarded by the dialling side's proxy and the serving side's.
    const cross = 4;
    expect(w.domain("cluster1").nsmgrProxy.forwarding() + w.domain("cluster2").nsmgrProxy.forwarding()).toBe(
      2 * cross,
    );
    const asked = [...w.sb.interdomain!.resolver.asked.keys()];
    expect(asked).toEqual(
      expect.arrayContaining(["registry.nsm-system.cluster1", "nsmgr-proxy.nsm-system.cluster2"]),
    );
  });

  it("clients in each domain reach every prefix", async () => {
    const c1 = await w.domain("cluster1").startClient("nsc-1");
    const c2 = await w.domain("cluster2").startClient("nsc-2");
    for (const c of [c1, c2]) {
      for (const m of w.members()) {
        expect(
          c.routes.some((r) => r.endsWith("/16")),
          `${c.name} has the pool route`,
        ).toBe(true);
        expect(m.nse.endpoint.prefix).toBeDefined();
      }
    }
    expect(c1.endpoint).toMatch(/^nse-[ac]$/);
    expect(c2.endpoint).toMatch(/^nse-[bd]$/);
  });
});
