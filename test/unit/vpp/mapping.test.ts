import { describe, expect, it } from "vitest";
import { interfaceKey, routeKey } from "../../../src/vpp/keys.js";
import { fromVppConfig, toVppInterface, toVppRoute } from "../../../src/vpp/mapping.js";
import { Mirror } from "../../../src/vpp/mirror.js";
import { agentValues, planTransaction } from "../../../src/vpp/plan.js";
import { nscConnection, peerLink, SOCKET_DIR, sorted } from "./fixtures.js";

const opts = { memifSocketDir: SOCKET_DIR };

describe("vpp-agent keys", () => {
  it("derives interface and route keys as the agent's models do", () => {
    expect(interfaceKey({ name: "nsc-abc" })).toBe("config/vpp/v2/interfaces/nsc-abc");
    const base = { vrfId: 0, nextHopAddr: "", outgoingInterface: "" };
    expect(routeKey({ ...base, dstNetwork: "10.1.1.3/32", vrfId: 1, nextHopAddr: "192.168.1.13" })).toBe(
      "config/vpp/v2/route/vrf/1/dst/10.1.1.3/32/gw/192.168.1.13",
    );
    expect(routeKey({ ...base, dstNetwork: "172.16.2.7/24", outgoingInterface: "vl3-x" })).toBe(
      "config/vpp/v2/route/if/vl3-x/vrf/0/dst/172.16.2.0/24/",
    );
    expect(routeKey({ ...base, dstNetwork: "fd00::1:0/112" })).toBe(
      "config/vpp/v2/route/vrf/0/dst/fd00::1:0/112/",
    );
    expect(routeKey({ ...base, dstNetwork: "bogus" })).toBe("config/vpp/v2/route/vrf/0/dst/bogus/");
  });
});

describe("vpp-agent mapping", () => {
  it("makes a served link a memif master with its addresses and a default socket", () => {
    const nsc = nscConnection("c1", "172.16.1.1", "172.16.1.2");
    const v = toVppInterface(nsc.iface, ["172.16.1.1/32"], opts);
    expect(v).toMatchObject({ name: nsc.name, type: 4, enabled: true, ipAddresses: ["172.16.1.1/32"] });
    expect(v.memif).toMatchObject({
      master: true,
      socketFilename: `${SOCKET_DIR}/${nsc.name}.sock`,
      ringSize: 512,
    });
    expect(v.rxModes).toEqual([{ queue: 0, mode: 2, defaultMode: true }]);
  });

  it("makes a dialled link a memif slave on the mechanism's socket; a relative one goes under the dir", () => {
    const peer = peerLink("nse-b", "172.16.1.1", "172.16.2.1", "172.16.2.0/24");
    expect(toVppInterface(peer.iface, [], opts).memif).toMatchObject({
      master: false,
      socketFilename: `${SOCKET_DIR}/peers/nse-b.sock`,
    });
    const absolute = {
      ...peer.iface,
      mechanism: { ...peer.iface.mechanism, parameters: { socketfile: "/x/memif.sock" } },
    };
    expect(toVppInterface(absolute, [], opts).memif?.socketFilename).toBe("/x/memif.sock");
    const abstract = {
      ...peer.iface,
      mechanism: { ...peer.iface.mechanism, parameters: { socketfile: "@/tmp/memif/c1/memif.socket" } },
    };
    // NSM's abstract name, in VPP's form: no file, in the namespace VPP runs in (the endpoint's).
    expect(toVppInterface(abstract, [], opts).memif?.socketFilename).toBe(
      "abstract:/tmp/memif/c1/memif.socket",
    );
  });

  it("maps routes to intra-VRF routes in VRF 0", () => {
    const peer = peerLink("nse-b", "172.16.1.1", "172.16.2.1", "172.16.2.0/24");
    expect(toVppRoute(peer.toPrefix)).toEqual({
      type: 0,
      vrfId: 0,
      dstNetwork: "172.16.2.0/24",
      nextHopAddr: "172.16.2.1",
      outgoingInterface: peer.name,
      weight: 0,
      preference: 0,
      viaVrfId: 0,
    });
  });

  it("reads back only our interfaces and the routes through them", () => {
    const nsc = nscConnection("c1", "172.16.1.1", "172.16.1.2");
    const config = agentValues(nsc.items, opts).config();
    config.interfaces.push({ ...config.interfaces[0]!, name: "other-if" });
    config.routes.push({ ...config.routes[0]!, outgoingInterface: "other-if" });
    const known = (name: string) => (name === nsc.name ? nsc.iface : undefined);
    expect(sorted(fromVppConfig(config, opts, known))).toEqual(sorted(nsc.items));
    // Without our record of the link, the mechanism is rebuilt from the memif.
    const rebuilt = fromVppConfig(config, opts)[0];
    expect(rebuilt).toEqual({
      type: "interface",
      name: nsc.name,
      role: "server",
      mechanism: {
        cls: "LOCAL",
        type: "MEMIF",
        parameters: { socketfile: `${SOCKET_DIR}/${nsc.name}.sock` },
      },
    });
  });
});

describe("vpp-agent transaction plan", () => {
  it("re-sends an interface when only its address changes, and undoes to the old value", () => {
    const mirror = new Mirror();
    const nsc = nscConnection("c1", "172.16.1.1", "172.16.1.2");
    planTransaction(mirror, { put: nsc.items, del: [] }, opts);
    const moved = { ...nsc.address, cidr: "172.16.1.9/32" };
    const plan = planTransaction(mirror, { put: [moved], del: [nsc.address] }, opts);
    expect(plan.del.size).toBe(0);
    expect(plan.put.config().interfaces.map((i) => i.ipAddresses)).toEqual([["172.16.1.9/32"]]);
    expect(plan.undo.put.config().interfaces.map((i) => i.ipAddresses)).toEqual([["172.16.1.1/32"]]);
    plan.revertMirror();
    expect(mirror.addressesOf(nsc.name)).toEqual(["172.16.1.1/32"]);
  });

  it("deletes by key fields, never twice for one key, and keeps an address for a link not yet there", () => {
    const mirror = new Mirror();
    const nsc = nscConnection("c1", "172.16.1.1", "172.16.1.2");
    planTransaction(mirror, { put: nsc.items, del: [] }, opts);
    const close = planTransaction(mirror, { put: [], del: nsc.items }, opts);
    expect(close.put.size).toBe(0);
    expect(close.del.config().interfaces).toEqual([
      expect.objectContaining({ name: nsc.name, ipAddresses: [] }),
    ]);
    expect(close.del.config().routes).toHaveLength(1);
    expect(close.undo.put.size).toBe(2);
    const early = planTransaction(
      mirror,
      { put: [{ type: "address", ifName: "nsc-later", cidr: "1.2.3.4/32" }], del: [] },
      opts,
    );
    expect(early.put.size + early.del.size).toBe(0);
    expect(mirror.addressesOf("nsc-later")).toEqual(["1.2.3.4/32"]);
  });
});
