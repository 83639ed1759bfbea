// The data-plane contract of VppAgentDataplane, run against the fake vpp-agent (unit) and, when one is
// configured, a real agent (test/integration/vpp/real-agent.test.ts). Only observable behaviour: dump().
import { beforeEach, expect, it } from "vitest";
import type { Item } from "../../../src/dataplane/types.js";
import type { VppAgentDataplane } from "../../../src/vpp/dataplane.js";
import { nscConnection, peerLink, sorted } from "./fixtures.js";

export function dataplaneContract(dataplane: () => VppAgentDataplane): void {
  const nsc = nscConnection("contract-nsc", "172.16.1.1", "172.16.1.2");
  const peer = peerLink("contract-peer", "172.16.1.1", "172.16.2.1", "172.16.2.0/24");
  const dump = async (): Promise<Item[]> => sorted(await dataplane().dump());

  beforeEach(async () => {
    await dataplane().resync([]);
  });

  it("programs an NSC connection and removes it on close", async () => {
    await dataplane().apply({ put: nsc.items, del: [] });
    expect(await dump()).toEqual(sorted(nsc.items));
    await dataplane().apply({ put: [], del: nsc.items });
    expect(await dump()).toEqual([]);
  });

  it("programs a dialled peer link with routes to the peer and to its prefix", async () => {
    await dataplane().apply({ put: peer.items, del: [] });
    expect(await dump()).toEqual(sorted(peer.items));
  });

  it("moves an address by re-sending its interface", async () => {
    await dataplane().apply({ put: nsc.items, del: [] });
    const moved = { ...nsc.address, cidr: "172.16.1.9/32" };
    await dataplane().apply({ put: [moved], del: [nsc.address] });
    expect(await dump()).toEqual(sorted([nsc.iface, moved, nsc.route]));
  });

  it("replaces everything it owns on resync", async () => {
    await dataplane().apply({ put: nsc.items, del: [] });
    await dataplane().resync(peer.items);
    expect(await dump()).toEqual(sorted(peer.items));
    await dataplane().resync([]);
    expect(await dump()).toEqual([]);
  });
}
