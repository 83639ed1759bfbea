// The floating registry restarts and forgets every entry (NSM's heal_floating-nsm-system-death): each
// endpoint's watch on its own entry, which runs through its domain's proxies, breaks; it registers
// again through them; the peers' watches reconnect; no link of the mesh goes down meanwhile.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Domains, eventually, expectFullMesh } from "./helpers.js";

describe("a floating vL3 whose floating registry restarts", () => {
  let w: Domains;

  beforeAll(async () => {
    w = await Domains.start({ domains: 2, floating: true });
    await Promise.all([
      w.startEndpoint("cluster1", "nse-a"),
      w.startEndpoint("cluster2", "nse-b"),
      w.startEndpoint("cluster2", "nse-c"),
    ]);
    await eventually(() => expectFullMesh(w, 3), 20_000);
  });

  afterAll(() => w?.stop());

  it("gets every endpoint back, registered again through its proxies, the mesh whole throughout", async () => {
    const floating = w.sb.interdomain!.floating!.registry;
    const downs: string[] = [];
    for (const m of w.members())
      m.nse.endpoint.onSignal((s) => {
        if (s.type === "peer" && !s.up) downs.push(`${m.id} lost ${s.name}`);
      });
    await floating.restart();
    expect(floating.entries()).toEqual([]);
    await eventually(
      () =>
        expect(
          floating
            .entries()
            .map((e) => e.name)
            .sort(),
        ).toEqual(["nse-a", "nse-b", "nse-c"]),
      15_000,
    );
    await eventually(() => expectFullMesh(w, 3), 15_000);
    expect(downs).toEqual([]);
  });
});
