// The IP context of a vL3 connection on the two ends of a veth, as NSM's forwarder applies it.
import { describe, expect, it } from "vitest";
import { endConfig } from "../../../src/kernel/ipcontext.js";

// What a vL3 NSE with prefix 172.16.1.0/24 in a 172.16.0.0/16 pool hands its first client.
const ctx = {
  srcIpAddrs: ["172.16.1.2/32"],
  dstIpAddrs: ["172.16.1.1/32"],
  srcRoutes: [
    { prefix: "172.16.1.1/32" },
    { prefix: "172.16.1.0/24", nextHop: "" },
    { prefix: "172.16.0.0/16" },
  ],
  dstRoutes: [{ prefix: "172.16.1.2/32" }],
};

describe("endConfig", () => {
  it("puts src addresses and routes on the NSC end, via the NSE's address onlink", () => {
    expect(endConfig(ctx, "src", "nsm-1")).toEqual({
      addresses: [{ type: "address", ifName: "nsm-1", cidr: "172.16.1.2/32" }],
      routes: [
        { type: "route", dst: "172.16.1.1/32", ifName: "nsm-1" },
        { type: "route", dst: "172.16.1.0/24", ifName: "nsm-1", via: "172.16.1.1" },
        { type: "route", dst: "172.16.0.0/16", ifName: "nsm-1", via: "172.16.1.1" },
      ],
    });
  });

  it("puts dst addresses and routes on the NSE end; the route to the client is on the link", () => {
    expect(endConfig(ctx, "dst", "nsc-0123456789a")).toEqual({
      addresses: [{ type: "address", ifName: "nsc-0123456789a", cidr: "172.16.1.1/32" }],
      routes: [{ type: "route", dst: "172.16.1.2/32", ifName: "nsc-0123456789a" }],
    });
  });

  it("honours an explicit next hop and picks the other end's address of the route's family", () => {
    const dual = {
      srcIpAddrs: ["172.16.1.2/32", "fd00::2/128"],
      dstIpAddrs: ["172.16.1.1/32", "fd00::1/128"],
      srcRoutes: [{ prefix: "fd00::/64" }, { prefix: "10.0.0.0/8", nextHop: "172.16.1.9" }],
    };
    expect(endConfig(dual, "src", "nsm-1").routes).toEqual([
      { type: "route", dst: "fd00::/64", ifName: "nsm-1", via: "fd00::1" },
      { type: "route", dst: "10.0.0.0/8", ifName: "nsm-1", via: "172.16.1.9" },
    ]);
  });

  it("routes on the link when the other end has no address of the family, and drops duplicates", () => {
    const c = {
      srcIpAddrs: ["172.16.1.2/32"],
      dstRoutes: [{ prefix: "fd00::/64" }, { prefix: "fd00::1/64" }],
    };
    expect(endConfig(c, "dst", "nsc-a").routes).toEqual([
      { type: "route", dst: "fd00::/64", ifName: "nsc-a" },
    ]);
  });

  it("rejects a malformed prefix", () => {
    expect(() => endConfig({ srcRoutes: [{ prefix: "172.16.0.0" }] }, "src", "nsm-1")).toThrow(/CIDR/);
  });
});
