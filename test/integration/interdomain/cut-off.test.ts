// A domain cut off (its registry proxy and nsmgr proxy stopped) is withdrawn everywhere within about
// a registry expiry, while each side's own mesh stays up; when its proxies return, it comes back
// whole: the same endpoints, the same prefixes, one full mesh again.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Domains, eventually, expectFullMesh } from "./helpers.js";

describe("a domain cut off and back", () => {
  let w: Domains;
  let prefixes: Map<string, string>;

  beforeAll(async () => {
    w = await Domains.start({ domains: 3 });
    await Promise.all([
      w.startEndpoint("cluster1", "nse-a"),
      w.startEndpoint("cluster1", "nse-b"),
      w.startEndpoint("cluster2", "nse-c"),
      w.startEndpoint("cluster3", "nse-d"),
    ]);
    await eventually(() => expectFullMesh(w, 4), 30_000);
    prefixes = new Map(w.members().map((m) => [m.id, m.nse.endpoint.prefix!]));
  });

  afterAll(() => w?.stop());

  it("is withdrawn everywhere; the others keep their links", async () => {
    await w.domain("cluster2").cutOff();
    const inside = (id: string) => id.endsWith("@cluster2");
    await eventually(async () => {
      for (const m of w.members()) {
        const peers = w.peers(m).map((p) => p.subject.peer!);
        const expected = w
          .members()
          .map((o) => o.id)
          .filter((id) => id !== m.id && inside(id) === inside(m.id));
        expect(peers.sort(), `${m.id}'s peers while cluster2 is cut off`).toEqual(expected.sort());
        for (const p of w.peers(m)) expect(p.state, `${m.id} → ${p.subject.peer}`).toMatch(/^up\./);
        // Its routes go with its links: no route to a prefix on the other side of the cut.
        const routes = await w.routes(m);
        for (const [id, prefix] of prefixes)
          if (inside(id) !== inside(m.id)) expect(routes, `${m.id}'s routes`).not.toContain(prefix);
      }
    }, 20_000);
  });

  it("comes back whole when its proxies return", async () => {
    await w.domain("cluster2").reconnect();
    await eventually(() => expectFullMesh(w, 4), 30_000);
    expect(new Map(w.members().map((m) => [m.id, m.nse.endpoint.prefix!]))).toEqual(prefixes);
  });
});

describe("a floating vL3 with one domain cut off and back", () => {
  let w: Domains;

  beforeAll(async () => {
    w = await Domains.start({ domains: 2, floating: true });
    await Promise.all([
      w.startEndpoint("cluster1", "nse-a"),
      w.startEndpoint("cluster1", "nse-b"),
      w.startEndpoint("cluster2", "nse-c"),
    ]);
    await eventually(() => expectFullMesh(w, 3), 20_000);
  });

  afterAll(() => w?.stop());

  it("loses the cut-off domain's endpoints everywhere once their floating entries expire, then heals", async () => {
    await w.domain("cluster2").cutOff();
    const c = (id: string) => w.members().find((m) => m.domain === "cluster2" && m.id === id);
    await eventually(() => {
      for (const m of w.members()) {
        const peers = w.peers(m).map((p) => p.subject.peer!);
        if (c(m.id)) expect(peers, `${m.id} sees nobody`).toEqual([]);
        else
          expect(peers.sort(), `${m.id}'s peers`).toEqual(
            w
              .members()
              .filter((o) => o.domain === "cluster1" && o.id !== m.id)
              .map((o) => o.id),
          );
      }
    }, 20_000);
    await w.domain("cluster2").reconnect();
    await eventually(() => expectFullMesh(w, 3), 30_000);
  });
});
