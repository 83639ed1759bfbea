// NSM v1's floating vL3: every endpoint registers `name@floating` for `svc@floating` through its
// domain's nsmgr proxy into a registry-only floating domain; one Find there sees all of them, peers
// link across the proxies, and clients anywhere ask for `svc@floating`.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Domains, eventually, expectDistinctPrefixes, expectFullMesh } from "./helpers.js";

describe("a floating vL3 across two domains", () => {
  let w: Domains;

  beforeAll(async () => {
    w = await Domains.start({ domains: 2, floating: true });
    await Promise.all([
      w.startEndpoint("cluster1", "nse-a"),
      w.startEndpoint("cluster2", "nse-b"),
      w.startEndpoint("cluster2", "nse-c"),
    ]);
  });

  afterAll(() => w?.stop());

  it("converges to one full mesh of name@floating identities, no duplicate prefix", async () => {
    await eventually(() => expectFullMesh(w, 3), 20_000);
    expect(
      w
        .members()
        .map((m) => m.id)
        .sort(),
    ).toEqual(["nse-a@floating", "nse-b@floating", "nse-c@floating"]);
    expectDistinctPrefixes(w.members().map((m) => m.nse.endpoint.prefix!));
  });

  it("the floating registry holds every endpoint, bare, at its own domain's nsmgr proxy", () => {
    const floating = w.sb.interdomain!.floating!.registry;
    const urls = new Map(floating.entries().map((e) => [e.name, e.url]));
    expect([...urls.keys()].sort()).toEqual(["nse-a", "nse-b", "nse-c"]);
    expect(urls.get("nse-a")).toBe(w.domain("cluster1").nsmgrProxy.url);
    expect(urls.get("nse-b")).toBe(w.domain("cluster2").nsmgrProxy.url);
    // Nothing of the floating service is registered in the domains' own registries.
    expect(w.domain("cluster1").registry.entries()).toEqual([]);
  });

  it("serves clients of either domain asking for svc@floating, and the endpoint sees the qualified name", async () => {
    const c1 = await w.domain("cluster1").startClient("nsc-1");
    const c2 = await w.domain("cluster2").startClient("nsc-2");
    expect(w.sb.service).toBe("vl3-service@floating");
    for (const c of [c1, c2]) {
      expect(c.address, `${c.name} has an address`).toBeDefined();
      expect(c.endpoint).toMatch(/^nse-[abc]@floating$/);
    }
    const served = w
      .members()
      .flatMap((m) => m.nse.endpoint.tree().children.filter((x) => x.kind === "connection"));
    expect(served.length).toBeGreaterThan(0);
  });
});
