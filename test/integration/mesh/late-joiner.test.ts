// An endpoint that arrives after the mesh has formed joins it: it dials the peers the rule gives it,
// the others dial it, and the links already there are left alone.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, expectFullMesh, Mesh } from "./helpers.js";

describe("a late joiner", () => {
  let mesh: Mesh;

  beforeAll(async () => {
    mesh = await Mesh.start();
    await Promise.all(["nse-a", "nse-b", "nse-d", "nse-e"].map((n, i) => mesh.startEndpoint(n, i % 2)));
    await eventually(() => expectFullMesh(mesh), 15_000);
  });

  afterAll(() => mesh?.stop());

  it("dials the peers after it, is dialled by those before it, and the mesh grows to full", async () => {
    const links = () => mesh.names().flatMap((n) => mesh.servedLinks(n).map((c) => c.id));
    const before = links();
    const downs: string[] = [];
    for (const n of mesh.names()) {
      mesh.nse(n).endpoint.onSignal((s) => {
        if (s.type === "peer" && !s.up) downs.push(`${n} lost ${s.name}`);
      });
    }
    // "nse-c" sorts in the middle: it dials nse-d and nse-e, and nse-a and nse-b dial it.
    await mesh.startEndpoint("nse-c", 0);
    await eventually(() => expectFullMesh(mesh), 10_000);
    const roles = Object.fromEntries(mesh.peers("nse-c").map((p) => [p.subject.peer, p.subject.role]));
    expect(roles).toEqual({ "nse-a": "accept", "nse-b": "accept", "nse-d": "dial", "nse-e": "dial" });
    // The four links that existed are the same connections, never dropped.
    expect(links()).toEqual(expect.arrayContaining(before));
    expect(links()).toHaveLength(10);
    expect(downs).toEqual([]);
  });
});
