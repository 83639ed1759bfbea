// An endpoint that dies without a goodbye (no Close, no unregister): its peers drop it once its
// registration expires at the latest (the nsmgrs notice sooner), and its clients heal onto another
// endpoint. One that comes back under the same name within its clients' restore window gets its prefix
// back, and its clients keep their addresses.
import { afterEach, describe, expect, it } from "vitest";
import type { Nsc } from "../../../src/sandbox/nsc.js";
import {
  clientsUntilServedBy,
  eventually,
  expectClientsServed,
  expectFullMesh,
  Mesh,
  QUICK,
} from "./helpers.js";

const NAMES = ["nse-a", "nse-b", "nse-c", "nse-d"];
// Each of these dials some peers and accepts others: both sides of the peer rule lose it.
const MIDDLE = ["nse-b", "nse-c"];

let mesh: Mesh | undefined;
afterEach(async () => {
  await mesh?.stop();
  mesh = undefined;
});

/** A converged mesh of four with clients, some of them served by the victim (one of MIDDLE). */
async function meshWithClients(
  lifetimeMs = QUICK.lifetimeMs,
  restoreMs?: number,
): Promise<{ mesh: Mesh; victim: string; victims: Nsc[] }> {
  const m = await Mesh.start({ ...QUICK, lifetimeMs, restoreMs });
  mesh = m;
  await Promise.all(NAMES.map((n, i) => m.startEndpoint(n, i % 2)));
  await eventually(() => expectFullMesh(m), 15_000);
  const victim = await clientsUntilServedBy(m, MIDDLE);
  return { mesh: m, victim, victims: m.sb.clients.filter((c) => c.endpoint === victim) };
}

/** Nothing of `gone` is left on the others: no peer actor, no link it dialled, no route to its prefix. */
async function expectForgotten(m: Mesh, gone: string, prefix: string, address: string): Promise<void> {
  for (const n of m.names()) {
    expect(
      m.peers(n).map((p) => p.subject.peer),
      `${n}'s peers`,
    ).not.toContain(gone);
    expect(
      m.servedLinks(n).flatMap((c) => c.addresses),
      `links ${n} serves`,
    ).not.toContain(address);
    expect(await m.routes(n), `${n}'s routes`).not.toContain(prefix);
  }
}

describe("an endpoint killed without goodbyes", () => {
  it("is dropped by its peers once its registration expires; its clients heal onto another endpoint", async () => {
    const { mesh: m, victim, victims } = await meshWithClients();
    const { prefix, selfAddress } = m.nse(victim).endpoint;
    const before = new Map(victims.map((c) => [c.name, c.address]));
    await m.sb.stopEndpoint(victim, { graceful: false });

    await eventually(() => expectForgotten(m, victim, prefix!, selfAddress!), 10_000);
    await eventually(() => {
      for (const c of victims) {
        expect(c.endpoint, c.name).not.toBe(victim);
        expect(c.address, c.name).not.toBe(before.get(c.name));
      }
      // The healed clients' addresses come from their new endpoints' prefixes.
      expectClientsServed(m);
    }, 15_000);
    await eventually(() => expectFullMesh(m), 10_000);
  });

  it("comes back under the same name in time: same prefix, and its clients keep their addresses", async () => {
    // Long-lived links: the old incarnation's links must go because the new one replaced them. The
    // clients ask it again for up to 30 s: "in time" is within that window, however loaded the machine.
    const { mesh: m, victim, victims } = await meshWithClients(60_000, 30_000);
    const prefix = m.nse(victim).endpoint.prefix;
    const before = new Map(victims.map((c) => [c.name, c.address]));
    await m.sb.stopEndpoint(victim, { graceful: false });
    await m.startEndpoint(victim, NAMES.indexOf(victim) % 2);

    expect(m.nse(victim).endpoint.prefix).toBe(prefix);
    await eventually(async () => {
      for (const c of victims) {
        expect(c.heals, `${c.name} noticed`).toBeGreaterThan(0);
        expect(c.endpoint, c.name).toBe(victim);
        expect(c.address, c.name).toBe(before.get(c.name));
      }
      await expectFullMesh(m);
    }, 15_000);
  });
});

describe("a killed endpoint's links to the peers it dialled", () => {
  it("are closed by those peers when its registration goes, long before the links would expire", async () => {
    // Links live a minute here: only the registry can tell the peers that nse-a is gone.
    const m = await Mesh.start({ ...QUICK, lifetimeMs: 60_000 });
    mesh = m;
    await Promise.all(["nse-a", "nse-b", "nse-c"].map((n, i) => m.startEndpoint(n, i % 2)));
    await eventually(() => expectFullMesh(m), 15_000);
    const { prefix, selfAddress } = m.nse("nse-a").endpoint;
    await m.sb.stopEndpoint("nse-a", { graceful: false });
    await eventually(() => expectForgotten(m, "nse-a", prefix!, selfAddress!), 10_000);
    await expectFullMesh(m);
  });
});
