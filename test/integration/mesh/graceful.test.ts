// A graceful stop: the endpoint unregisters, closes its links and its clients' connections, and its
// peers let it go at once — not when its registration or its links would have expired.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientsUntilServedBy, eventually, expectClientsServed, expectFullMesh, Mesh } from "./helpers.js";

const NAMES = ["nse-a", "nse-b", "nse-c", "nse-d"];

describe("an endpoint that stops gracefully", () => {
  let mesh: Mesh;
  // One that dials some peers and accepts others, and serves a client.
  let leaver: string;

  beforeAll(async () => {
    // A minute for registrations and links: within the few seconds below only a goodbye explains a departure.
    mesh = await Mesh.start({ registryExpiryMs: 60_000, lifetimeMs: 60_000 });
    await Promise.all(NAMES.map((n, i) => mesh.startEndpoint(n, i % 2)));
    await eventually(() => expectFullMesh(mesh), 15_000);
    leaver = await clientsUntilServedBy(mesh, ["nse-b", "nse-c"]);
  });

  afterAll(() => mesh?.stop());

  it("unregisters, and its peers close their links and withdraw its routes at once", async () => {
    const { prefix, selfAddress } = mesh.nse(leaver).endpoint;
    const clients = mesh.sb.clients.filter((c) => c.endpoint === leaver);
    expect(clients.length).toBeGreaterThan(0);
    // Its peers know who registered it (only that identity may dial as it), and forget it with it.
    for (const n of NAMES) if (n !== leaver) expect(mesh.nse(n).mesh?.registrantOf(leaver)).toBeTruthy();
    await mesh.sb.stopEndpoint(leaver, { graceful: true });

    expect(mesh.sb.registry.entries().map((e) => e.name)).not.toContain(leaver);
    await eventually(async () => {
      for (const n of mesh.names()) {
        expect(
          mesh.peers(n).map((p) => p.subject.peer),
          `${n}'s peers`,
        ).not.toContain(leaver);
        expect(
          mesh.servedLinks(n).flatMap((c) => c.addresses),
          `links ${n} serves`,
        ).not.toContain(selfAddress);
        expect(await mesh.routes(n), `${n}'s routes`).not.toContain(prefix);
        expect(mesh.nse(n).mesh?.registrantOf(leaver), `${n}'s registrant of it`).toBeUndefined();
      }
    }, 5000);
    // Its data plane is empty: it withdrew everything it had programmed.
    expect(await mesh.dataplanes.get(leaver)!.dump()).toEqual([]);
    await expectFullMesh(mesh);
    // Its clients were told (their connections closed) and found another endpoint.
    await eventually(() => {
      for (const c of clients) expect(c.endpoint, c.name).not.toBe(leaver);
      expectClientsServed(mesh);
    }, 5000);
  });
});
