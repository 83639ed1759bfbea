// Mixed fleets with NSM's own vL3 endpoints: how the peer element recognises a Go peer's request
// (NSM's heuristic, made stricter by asking the registry), serves it as that peer's link or as an NSC,
// and NSM's rule for which side of a pair dials. Uses the recording last element of fixtures.ts.
import { describe, expect, it } from "vitest";
import { recogniseNsmPeer } from "../../../src/chain/nsm-peer.js";
import { peerRequests } from "../../../src/chain/peer.js";
import { Connection } from "../../../src/grpc/gen/networkservice/connection.js";
import { parseCidr } from "../../../src/ipam/cidr.js";
import { PEER_REQUEST_LABEL } from "../../../src/registry/labels.js";
import { dialsNsmPeer } from "../../../src/registry/peer.js";
import { ctx, recorder } from "./fixtures.js";

const view = (kind?: "client" | "peer") => ({
  self: "vl3-a",
  pool: parseCidr("172.16.0.0/16"),
  prefix: parseCidr("172.16.0.0/24"),
  kindOf: () => kind,
});

/** NSM's peer request (parity reference §2.4): nse-b's self address, its routes, one DNS config. */
function goPeerRequest(over: { src?: string[]; dst?: string[]; dns?: boolean; first?: string } = {}) {
  return Connection.fromPartial({
    id: "seg-1",
    networkService: "vl3-dns",
    path: { index: 1, pathSegments: [{ name: over.first ?? "nse-b" }, { name: "vl3-a", id: "seg-1" }] },
    context: {
      ipContext: {
        srcIpAddrs: over.src ?? ["172.16.1.0/32"],
        dstIpAddrs: over.dst ?? [],
        dstRoutes: [
          { prefix: "172.16.1.0/32", nextHop: "172.16.1.0" },
          { prefix: "172.16.1.0/24", nextHop: "172.16.1.0" },
        ],
      },
      dnsContext:
        over.dns === false
          ? { configs: [] }
          : { configs: [{ dnsServerIps: ["172.16.1.1"], searchDomains: [] }] },
    },
  });
}

describe("recogniseNsmPeer: NSM's heuristic, made stricter", () => {
  it.each([
    ["NSM's peer request", goPeerRequest(), undefined, "nse-b"],
    ["its refresh (our address as dst)", goPeerRequest({ dst: ["172.16.0.1/32"] }), "peer", "nse-b"],
    ["without a DNS config: an NSC", goPeerRequest({ dns: false }), undefined, undefined],
    ["no address of the pool: an NSC", goPeerRequest({ src: ["10.1.0.5/32"] }), undefined, undefined],
    [
      "an address of our prefix: our NSC healing after our restart",
      goPeerRequest({ src: ["172.16.0.7/32"] }),
      undefined,
      undefined,
    ],
    [
      "dst of another endpoint: an NSC that moved (strict IPAM)",
      goPeerRequest({ dst: ["172.16.5.1/32"] }),
      undefined,
      undefined,
    ],
    ["an id we serve as a client", goPeerRequest(), "client", undefined],
    ["sent by ourselves", goPeerRequest({ first: "vl3-a" }), undefined, undefined],
  ] as const)("%s", (_, conn, kind, expected) => {
    expect(recogniseNsmPeer(conn, view(kind))).toBe(expected);
  });
});

describe("the peer element with mixed fleets", () => {
  const element = (confirmed: boolean) =>
    peerRequests({
      self: "vl3-a",
      isPeer: () => false,
      nsmPeer: { recognise: (c) => recogniseNsmPeer(c, view()), confirm: () => confirmed },
    });

  it("serves a confirmed NSM peer's request as that peer's link, marked for the endpoint", async () => {
    const r = recorder();
    const c = ctx();
    await element(true)(r.next).request({ connection: goPeerRequest(), mechanismPreferences: [] }, c);
    expect(r.requests[0]!.ctx.peerOf).toBe("nse-b");
    expect(r.requests[0]!.req.connection!.labels[PEER_REQUEST_LABEL]).toBe("nse-b");
  });

  it("serves it as an NSC when the registry does not confirm the name", async () => {
    const r = recorder();
    await element(false)(r.next).request({ connection: goPeerRequest(), mechanismPreferences: [] }, ctx());
    expect(r.requests[0]!.ctx.peerOf).toBeUndefined();
  });
});

describe("NSM's rule for who dials", () => {
  it("the newer registration dials the older; equal times both dial", () => {
    const t = (s: number) => new Date(1_700_000_000_000 + s * 1000);
    expect([dialsNsmPeer(t(2), t(1)), dialsNsmPeer(t(1), t(2)), dialsNsmPeer(t(1), t(1))]).toEqual([
      true,
      false,
      true,
    ]);
    expect(dialsNsmPeer(t(1), undefined)).toBe(false);
  });
});
