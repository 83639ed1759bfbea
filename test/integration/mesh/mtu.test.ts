// One MTU for the whole vL3 (NSM's vl3mtu, server and client side): a client that comes with a
// smaller MTU lowers its endpoint's, the endpoint asks its clients and its dialled links to refresh,
// the peers learn it from those links (or from answers to theirs), and in the end every client of
// every endpoint has it.
import { afterEach, describe, expect, it } from "vitest";
import type { Nsc } from "../../../src/sandbox/nsc.js";
import { eventually, expectFullMesh, Mesh, QUICK } from "./helpers.js";

let mesh: Mesh | undefined;
afterEach(async () => {
  await mesh?.stop();
  mesh = undefined;
});

describe("the vL3 MTU across the mesh", () => {
  it("the smallest MTU any client brings reaches every client of every endpoint", async () => {
    const m = await Mesh.start(QUICK);
    mesh = m;
    const names = ["nse-a", "nse-b", "nse-c"];
    await Promise.all(names.map((n, i) => m.startEndpoint(n, i % 2)));
    await eventually(() => expectFullMesh(m), 15_000);
    const clients: Nsc[] = [];
    for (let i = 0; i < 6; i++) clients.push(await m.sb.startClient(`nsc-${i}`, { node: i % 2 }));
    for (const c of clients) expect(c.connection?.context?.MTU, c.name).toBe(9000);

    const low = await m.sb.startClient("nsc-low", { node: 1, mtu: 1446 });
    expect(low.connection?.context?.MTU).toBe(1446);
    await eventually(() => {
      for (const n of names) expect(m.nse(n).endpoint.mtu.current, n).toBe(1446);
      for (const c of clients) expect(c.connection?.context?.MTU, `${c.name} on ${c.endpoint}`).toBe(1446);
    }, 20_000);
  });
});
