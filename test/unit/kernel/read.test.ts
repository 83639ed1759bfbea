// `ip -j` output (as iproute2 6.1 prints it) back into data-plane items.
import { describe, expect, it } from "vitest";
import { addressItems, type KernelState, linksUp, routeDst, routeItems } from "../../../src/kernel/read.js";

const owns = (n: string) => n.startsWith("nsc-") || n.startsWith("vl3-");

const state: KernelState = {
  links: [
    {
      ifname: "lo",
      flags: ["LOOPBACK", "UP"],
      addr_info: [{ family: "inet", local: "127.0.0.1", prefixlen: 8 }],
    },
    {
      ifname: "nsc-a",
      flags: ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
      addr_info: [
        { family: "inet", local: "172.16.1.1", prefixlen: 32, scope: "global" },
        { family: "inet6", local: "fd00::1", prefixlen: 128, scope: "global" },
        { family: "inet6", local: "fe80::1c2e:3ff:fe4a:1", prefixlen: 64, scope: "link" },
      ],
    },
    { ifname: "vl3-b", flags: ["BROADCAST", "MULTICAST"], addr_info: [] },
    { ifname: "eth0", flags: ["UP"], addr_info: [{ family: "inet", local: "198.18.0.9", prefixlen: 24 }] },
  ],
  routes: [
    { family: 4, route: { dst: "172.16.1.2", dev: "nsc-a", scope: "link" } as never },
    { family: 4, route: { dst: "172.16.0.0/16", gateway: "172.16.1.2", dev: "nsc-a" } },
    { family: 4, route: { dst: "default", gateway: "172.16.1.2", dev: "nsc-a" } },
    { family: 4, route: { dst: "198.18.0.0/24", dev: "eth0", protocol: "kernel" } },
    { family: 6, route: { dst: "fd00::1", dev: "nsc-a", protocol: "kernel" } },
    { family: 6, route: { dst: "fe80::/64", dev: "nsc-a", protocol: "kernel" } },
    { family: 6, route: { dst: "fd01::/64", gateway: "fd00::9", dev: "nsc-a" } },
    { family: 6, route: { dst: "ff00::/8", dev: "nsc-a", type: "multicast", table: "local" } },
  ],
};

describe("reading kernel state", () => {
  it("reports owned links that are up", () => {
    expect(linksUp(state, owns)).toEqual(["nsc-a"]);
  });

  it("reports owned addresses without link-local ones", () => {
    expect(addressItems(state, owns)).toEqual([
      { type: "address", ifName: "nsc-a", cidr: "172.16.1.1/32" },
      { type: "address", ifName: "nsc-a", cidr: "fd00::1/128" },
    ]);
  });

  it("reports owned main-table routes the kernel did not add itself", () => {
    expect(routeItems(state, owns)).toEqual([
      { type: "route", dst: "172.16.1.2/32", ifName: "nsc-a" },
      { type: "route", dst: "172.16.0.0/16", ifName: "nsc-a", via: "172.16.1.2" },
      { type: "route", dst: "0.0.0.0/0", ifName: "nsc-a", via: "172.16.1.2" },
      { type: "route", dst: "fd01::/64", ifName: "nsc-a", via: "fd00::9" },
    ]);
  });

  it("gives host routes and default their length", () => {
    expect(routeDst("fd00::5", 6)).toBe("fd00::5/128");
    expect(routeDst("default", 6)).toBe("::/0");
    expect(routeDst("10.1.0.0/16", 4)).toBe("10.1.0.0/16");
  });
});
