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
