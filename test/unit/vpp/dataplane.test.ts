// VppAgentDataplane against the fake vpp-agent (a grpc-js server on loopback; never VPP).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DataplaneUnavailableError } from "../../../src/dataplane/types.js";
import { VppAgentDataplane } from "../../../src/vpp/dataplane.js";
import { type FakeAgent, startFakeAgent } from "../../../src/vpp/fake-agent.js";
import { interfaceKey, routeKey } from "../../../src/vpp/keys.js";
import { dataplaneContract } from "./contract.js";
import { nscConnection, peerLink, SOCKET_DIR, sorted } from "./fixtures.js";

const memif = (name: string, master: boolean, socketFilename: string, ipAddresses: string[]) => ({
  name,
  type: 4, // MEMIF
  enabled: true,
  physAddress: "",
  ipAddresses,
  vrf: 0,
  mtu: 0,
  rxModes: [{ queue: 0, mode: 2, defaultMode: true }], // INTERRUPT
  memif: {
    mode: 0,
    master,
    id: 0,
    socketFilename,
    secret: "",
    ringSize: 512,
    bufferSize: 0,
    rxQueues: 0,
    txQueues: 0,
  },
});
const route = (dstNetwork: string, outgoingInterface: string, nextHopAddr = "") => ({
  vrfId: 0,
  dstNetwork,
  nextHopAddr,
  outgoingInterface,
  weight: 0,
  preference: 0,
  viaVrfId: 0,
  type: 0, // INTRA_VRF
});
const keyOnly = (name: string) => ({
  name,
  type: 0,
  enabled: false,
  physAddress: "",
  ipAddresses: [],
  vrf: 0,
  mtu: 0,
  rxModes: [],
});

describe("VppAgentDataplane with a fake vpp-agent", () => {
  let agent: FakeAgent;
  let dp: VppAgentDataplane;
  beforeEach(async () => {
    agent = await startFakeAgent();
    dp = new VppAgentDataplane({ target: agent.target, memifSocketDir: SOCKET_DIR, callTimeoutMs: 5_000 });
  });
  afterEach(async () => {
    await dp.close();
    await agent.stop();
  });

  describe("contract (fake vpp-agent)", () => dataplaneContract(() => dp));

  it("sends one exact Update for an NSC connection and one exact Delete on close (fake vpp-agent)", async () => {
    const nsc = nscConnection("conn-1", "172.16.1.1", "172.16.1.2");
    await dp.apply({ put: nsc.items, del: [] });
    expect(agent.calls).toMatchObject({ update: 1, delete: 0 });
    expect(agent.updates.at(-1)).toEqual({
      datasrc: "vl3-nse",
      request: {
        update: {
          vppConfig: {
            interfaces: [memif(nsc.name, true, `${SOCKET_DIR}/${nsc.name}.sock`, ["172.16.1.1/32"])],
            routes: [route("172.16.1.2/32", nsc.name)],
          },
        },
        fullResync: false,
        waitDone: false,
      },
    });
    await dp.apply({ put: [], del: nsc.items });
    expect(agent.calls).toMatchObject({ update: 1, delete: 1 });
    expect(agent.deletes.at(-1)?.request).toEqual({
      delete: { vppConfig: { interfaces: [keyOnly(nsc.name)], routes: [route("172.16.1.2/32", nsc.name)] } },
      waitDone: false,
    });
    expect(agent.desired()).toEqual({ interfaces: [], routes: [] });
  });

  it("sends one exact Update for a dialled peer link (fake vpp-agent)", async () => {
    const peer = peerLink("nse-b", "172.16.1.1", "172.16.2.1", "172.16.2.0/24");
    await dp.apply({ put: peer.items, del: [] });
    expect(agent.updates.at(-1)?.request.update?.vppConfig).toEqual({
      interfaces: [memif(peer.name, false, `${SOCKET_DIR}/peers/nse-b.sock`, ["172.16.1.1/32"])],
      routes: [route("172.16.2.1/32", peer.name), route("172.16.2.0/24", peer.name, "172.16.2.1")],
    });
    expect(agent.running().routes).toHaveLength(2);
  });

  it("sends deletes before puts and never one key twice (fake vpp-agent)", async () => {
    const nsc = nscConnection("conn-1", "172.16.1.1", "172.16.1.2");
    await dp.apply({ put: nsc.items, del: [] });
    // Refresh with a new client address and a second NSE address: one Delete, one Update, one interface value.
    const route2 = { ...nsc.route, dst: "172.16.1.3/32" };
    const address2 = { ...nsc.address, cidr: "172.16.1.4/32" };
    await dp.apply({ put: [route2, address2, nsc.iface], del: [nsc.route] });
    expect(agent.calls).toMatchObject({ update: 2, delete: 1 });
    expect(agent.deletes.at(-1)?.request.delete?.vppConfig?.routes).toEqual([
      route("172.16.1.2/32", nsc.name),
    ]);
    const sent = agent.updates.at(-1)?.request.update?.vppConfig;
    expect(sent?.interfaces.map((i) => [i.name, i.ipAddresses])).toEqual([
      [nsc.name, ["172.16.1.1/32", "172.16.1.4/32"]],
    ]);
    expect(sent?.routes).toEqual([route("172.16.1.3/32", nsc.name)]);
  });

  it("compensates a partly applied transaction: nothing of it stays (fake vpp-agent)", async () => {
    const a = nscConnection("conn-a", "172.16.1.1", "172.16.1.2");
    const b = nscConnection("conn-b", "172.16.1.1", "172.16.1.3");
    await dp.apply({ put: a.items, del: [] });
    const failing = routeKey({
      outgoingInterface: b.name,
      vrfId: 0,
      dstNetwork: "172.16.1.3/32",
      nextHopAddr: "",
    });
    agent.failKeys(new Set([failing]));
    const err = await dp.apply({ put: b.items, del: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(DataplaneUnavailableError);
    expect((err as Error).message).toContain(`KeyErrors: [${failing} (CREATE)`);
    expect((err as Error).message).toContain("compensated: removed 1 value(s) it had created");
    expect(sorted(await dp.dump())).toEqual(sorted(a.items));
    expect(agent.desired()).toEqual(agent.running()); // nothing of b left, not even as FAILED
    // The mirror was reverted too: b applies cleanly once the agent accepts it.
    agent.failKeys(undefined);
    await dp.apply({ put: b.items, del: [] });
    expect(sorted(await dp.dump())).toEqual(sorted([...a.items, ...b.items]));
  });

  it("restores what a failed transaction replaced or deleted (fake vpp-agent)", async () => {
    const a = nscConnection("conn-a", "172.16.1.1", "172.16.1.2");
    await dp.apply({ put: a.items, del: [] });
    let armed = true; // fail the interface's update once; the compensating re-put must pass
    agent.failKeys((key, op) => {
      const hit = armed && key === interfaceKey({ name: a.name }) && op === "UPDATE";
      if (hit) armed = false;
      return hit;
    });
    const moved = { ...a.address, cidr: "172.16.1.9/32" };
    await expect(dp.apply({ put: [moved], del: [a.address, a.route] })).rejects.toThrow(/compensated/);
    expect(sorted(await dp.dump())).toEqual(sorted(a.items));
    expect(agent.running().interfaces[0]?.ipAddresses).toEqual(["172.16.1.1/32"]);
  });

  it("re-puts what a partly failed Delete removed (fake vpp-agent)", async () => {
    const a = nscConnection("conn-a", "172.16.1.1", "172.16.1.2");
    await dp.apply({ put: a.items, del: [] });
    const routeOfA = routeKey({
      outgoingInterface: a.name,
      vrfId: 0,
      dstNetwork: "172.16.1.2/32",
      nextHopAddr: "",
    });
    agent.failKeys((key, op) => key === routeOfA && op === "DELETE");
    await expect(dp.apply({ put: [], del: a.items })).rejects.toThrow(/restored 2 it replaced or deleted/);
    expect(agent.calls).toMatchObject({ update: 2, delete: 1 }); // the second Update is the compensating re-put
    expect(sorted(await dp.dump())).toEqual(sorted(a.items));
  });

  it("throws DataplaneUnavailableError while the agent is down, then works after its restart (fake vpp-agent)", async () => {
    const a = nscConnection("conn-a", "172.16.1.1", "172.16.1.2");
    const b = nscConnection("conn-b", "172.16.1.1", "172.16.1.3");
    await dp.apply({ put: a.items, del: [] });
    await agent.stop();
    await expect(dp.apply({ put: b.items, del: [] })).rejects.toBeInstanceOf(DataplaneUnavailableError);
    await expect(dp.dump()).rejects.toBeInstanceOf(DataplaneUnavailableError);
    await agent.start(); // a restarted agent has lost its state
    await retryUnavailable(() => dp.apply({ put: b.items, del: [] }));
    expect(sorted(await dp.dump())).toEqual(sorted(b.items));
    // What the owner does after an agent restart: resync everything it wants.
    await dp.resync([...a.items, ...b.items]);
    expect(sorted(await dp.dump())).toEqual(sorted([...a.items, ...b.items]));
    expect(agent.updates.at(-1)).toMatchObject({ datasrc: "vl3-nse", request: { fullResync: true } });
  });

  it("keeps other data sources' configuration on resync (fake vpp-agent)", async () => {
    const theirs = new VppAgentDataplane({
      target: agent.target,
      datasrc: "other-client",
      memifSocketDir: SOCKET_DIR,
    });
    try {
      const other = nscConnection("theirs", "172.16.9.1", "172.16.9.2");
      const mine = nscConnection("mine", "172.16.1.1", "172.16.1.2");
      await theirs.apply({ put: other.items, del: [] });
      await dp.apply({ put: mine.items, del: [] });
      await dp.resync([]);
      // Their interface is rebuilt from the memif (we never knew its mechanism); addresses and routes are exact.
      const left = await dp.dump();
      expect(left.map((i) => (i.type === "interface" ? i.name : i))).toEqual([
        other.name,
        other.address,
        other.route,
      ]);
    } finally {
      await theirs.close();
    }
  });
});

/** The queue's job in production; here a bounded loop while the channel reconnects. */
async function retryUnavailable(fn: () => Promise<void>, attempts = 50): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof DataplaneUnavailableError) || i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
