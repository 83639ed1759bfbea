// Items as iproute2 lines: canonical forms, the put/delete verbs, ordering, and which delete
// failures mean "already gone".
import { describe, expect, it } from "vitest";
import type { Item } from "../../../src/dataplane/types.js";
import {
  canonicalItem,
  checkIfName,
  delLine,
  delOrder,
  isAlreadyGone,
  putLine,
  putOrder,
} from "../../../src/kernel/commands.js";

const iface: Item = {
  type: "interface",
  name: "nsc-0123456789a",
  role: "server",
  mechanism: { cls: "LOCAL", type: "KERNEL", parameters: { name: "nsc-0123456789a" } },
};

describe("canonicalItem", () => {
  it("normalises IPv6 text and route networks, keeps an address's host bits", () => {
    expect(canonicalItem({ type: "address", ifName: "nsc-a", cidr: "FD00:0::0001/64" })).toEqual({
      type: "address",
      ifName: "nsc-a",
      cidr: "fd00::1/64",
    });
    expect(canonicalItem({ type: "address", ifName: "nsc-a", cidr: "172.16.1.5/24" })).toMatchObject({
      cidr: "172.16.1.5/24",
    });
    expect(
      canonicalItem({ type: "route", dst: "172.16.1.7/24", ifName: "nsc-a", via: "172.16.1.1" }),
    ).toEqual({
      type: "route",
      dst: "172.16.1.0/24",
      ifName: "nsc-a",
      via: "172.16.1.1",
    });
  });

  it("rejects malformed input before anything reaches ip", () => {
    expect(() => canonicalItem({ type: "address", ifName: "nsc-a", cidr: "172.16.1.5" })).toThrow(/CIDR/);
    expect(() => canonicalItem({ type: "route", dst: "10.0.0.0/8", ifName: "nsc a" })).toThrow(
      /interface name/,
    );
    expect(() => canonicalItem({ type: "route", dst: "10.0.0.0/8", ifName: "x", via: "nope" })).toThrow(
      /IP address/,
    );
    expect(() => checkIfName("a-name-of-16-chr")).toThrow(/interface name/);
    expect(checkIfName("a-name-of-15-ch")).toBe("a-name-of-15-ch");
  });
});

describe("putLine and delLine", () => {
  it("brings an interface up and never deletes it", () => {
    expect(putLine(iface)).toBe("link set dev nsc-0123456789a up");
    expect(delLine(iface)).toBeUndefined();
  });

  it("replaces addresses, IPv6 without DAD", () => {
    expect(putLine({ type: "address", ifName: "nsc-a", cidr: "172.16.1.1/32" })).toBe(
      "addr replace 172.16.1.1/32 dev nsc-a",
    );
    expect(putLine({ type: "address", ifName: "nsc-a", cidr: "fd00::1/128" })).toBe(
      "addr replace fd00::1/128 dev nsc-a nodad",
    );
    expect(delLine({ type: "address", ifName: "nsc-a", cidr: "fd00::1/128" })).toBe(
      "addr del fd00::1/128 dev nsc-a",
    );
  });

  it("replaces routes on the link or via an onlink next hop", () => {
    expect(putLine({ type: "route", dst: "172.16.1.2/32", ifName: "nsc-a" })).toBe(
      "route replace 172.16.1.2/32 dev nsc-a",
    );
    const via: Item = { type: "route", dst: "172.16.0.0/16", ifName: "nsc-a", via: "172.16.1.1" };
    expect(putLine(via)).toBe("route replace 172.16.0.0/16 via 172.16.1.1 dev nsc-a onlink");
    expect(delLine(via)).toBe("route del 172.16.0.0/16 via 172.16.1.1 dev nsc-a");
  });
});

describe("ordering", () => {
  const addr: Item = { type: "address", ifName: "nsc-a", cidr: "172.16.1.1/32" };
  const route: Item = { type: "route", dst: "172.16.1.2/32", ifName: "nsc-a" };

  it("puts links, then addresses, then routes; deletes the other way round", () => {
    expect(putOrder([route, addr, iface]).map((i) => i.type)).toEqual(["interface", "address", "route"]);
    expect(delOrder([iface, addr, route]).map((i) => i.type)).toEqual(["route", "address", "interface"]);
  });
});

describe("isAlreadyGone", () => {
  it.each([
    'Cannot find device "nsc-a"',
    "Error: ipv4: Address not found.",
    "Error: ipv6: address not found.",
    "RTNETLINK answers: No such process",
    'Device "nsc-a" does not exist.',
  ])("%s", (m) => expect(isAlreadyGone(m)).toBe(true));

  it("is false for real failures", () => {
    expect(isAlreadyGone("Error: Nexthop has invalid gateway.")).toBe(false);
    expect(isAlreadyGone("RTNETLINK answers: Operation not permitted")).toBe(false);
  });
});
