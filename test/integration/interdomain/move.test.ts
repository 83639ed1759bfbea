// An endpoint that moves to another domain (stopped in one, started under the same name in the other)
// is a new identity there: every endpoint drops the old one and links to the new one, one link per
// pair, and no two prefixes collide.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Domains, eventually, expectDistinctPrefixes, expectFullMesh } from "./helpers.js";

describe("an endpoint moving between domains", () => {
  let w: Domains;

  beforeAll(async () => {
    w = await Domains.start({ domains: 2 });
    await Promise.all([
      w.startEndpoint("cluster1", "nse-a"),
      w.startEndpoint("cluster1", "nse-m"),
      w.startEndpoint("cluster2", "nse-b"),
    ]);
    await eventually(() => expectFullMesh(w, 3), 20_000);
  });

  afterAll(() => w?.stop());

  it("leaves no trace in its old domain and joins the mesh from the new one", async () => {
    await w.domain("cluster1").stopEndpoint("nse-m");
    await w.startEndpoint("cluster2", "nse-m");
    await eventually(() => expectFullMesh(w, 3), 20_000);
    expect(
      w
        .members()
        .map((m) => m.id)
        .sort(),
    ).toEqual(["nse-a@cluster1", "nse-b@cluster2", "nse-m@cluster2"]);
    for (const m of w.members())
      expect(w.peers(m).map((p) => p.subject.peer)).not.toContain("nse-m@cluster1");
    expectDistinctPrefixes(w.members().map((m) => m.nse.endpoint.prefix!));
  });
});
