import { describe, expect, it } from "vitest";
import { AddressPool, PoolExhaustedError } from "../../../src/ipam/address-pool.js";
import { CidrError } from "../../../src/ipam/cidr.js";
import { thrown } from "./thrown.js";

describe("AddressPool: the prefix", () => {
  it("IPv4: the NSE takes the first host, clients start after it", () => {
    const pool = new AddressPool("172.16.1.0/24");
    expect(pool.prefix.toString()).toBe("172.16.1.0/24");
    expect(pool.selfAddress).toBe("172.16.1.1/32");
    expect(pool.capacity).toBe(253n);
    expect(pool.allocate("c1")).toBe("172.16.1.2/32");
    expect(pool.allocate("c2")).toBe("172.16.1.3/32");
    expect(pool.used).toBe(2);
  });

  it("IPv6: /128 host addresses, capacity of a /64", () => {
    const pool = new AddressPool("fd00:16:1::/64");
    expect(pool.selfAddress).toBe("fd00:16:1::1/128");
    expect(pool.capacity).toBe(2n ** 64n - 2n);
    expect(pool.allocate("c1")).toBe("fd00:16:1::2/128");
    expect(pool.allocate("c2")).toBe("fd00:16:1::3/128");
  });

  it("host bits in the prefix are cleared", () => {
    expect(new AddressPool("172.16.1.77/24").prefix.toString()).toBe("172.16.1.0/24");
  });

  it.each([
    "",
    "172.16.1.0",
    "172.16.1.0/33",
    "010.16.1.0/24",
    "nonsense/24",
  ])("rejects malformed %j", (p) => {
    const err = thrown(() => new AddressPool(p));
    expect(err).toBeInstanceOf(CidrError);
    expect((err as CidrError).field).toBe("prefix");
  });

  it.each([
    "172.16.1.0/30",
    "172.16.1.0/31",
    "172.16.1.0/32",
    "fd00::/127",
    "fd00::/128",
  ])("rejects %s: no room for the NSE and two clients", (p) => {
    const err = thrown(() => new AddressPool(p));
    expect(err).toBeInstanceOf(CidrError);
    expect((err as CidrError).field).toBe("prefix");
    expect((err as Error).message).toContain("too small");
  });
});

describe("AddressPool: allocation", () => {
  it("a refresh returns the same address", () => {
    const pool = new AddressPool("172.16.1.0/24");
    expect(pool.allocate("c1")).toBe("172.16.1.2/32");
    expect(pool.allocate("c1")).toBe("172.16.1.2/32");
    expect(pool.allocate("c1", { requested: ["172.16.1.2/32"] })).toBe("172.16.1.2/32");
    expect(pool.used).toBe(1);
  });

  it("a free requested address is kept, as a host CIDR, a bare address or with the prefix length", () => {
    const pool = new AddressPool("172.16.1.0/24");
    expect(pool.allocate("c1", { requested: ["172.16.1.77/32"] })).toBe("172.16.1.77/32");
    expect(pool.allocate("c2", { requested: ["172.16.1.78"] })).toBe("172.16.1.78/32");
    expect(pool.allocate("c3", { requested: ["172.16.1.79/24"] })).toBe("172.16.1.79/32");
    expect(pool.allocate("c4")).toBe("172.16.1.2/32");
  });

  it("an address requested by someone else's owner is not taken from them", () => {
    const pool = new AddressPool("172.16.1.0/24");
    expect(pool.allocate("c1")).toBe("172.16.1.2/32");
    expect(pool.allocate("c2", { requested: ["172.16.1.2/32"] })).toBe("172.16.1.3/32");
    expect(pool.ownerOf("172.16.1.2")).toBe("c1");
  });

  it("the first usable requested entry wins; entries outside the prefix are ignored", () => {
    const pool = new AddressPool("172.16.1.0/24");
    pool.allocate("c1");
    const requested = ["10.0.0.5/32", "fd00::5/128", "172.16.1.2/32", "172.16.1.40/32", "172.16.1.41/32"];
    expect(pool.allocate("c2", { requested })).toBe("172.16.1.40/32");
    expect(pool.allocate("c3", { requested: ["10.0.0.5/32", "fd00::5/128"] })).toBe("172.16.1.3/32");
  });

  it("the network, NSE and broadcast addresses are never given, even when requested", () => {
    const pool = new AddressPool("172.16.1.0/24");
    const requested = ["172.16.1.0/32", "172.16.1.1/32", "172.16.1.255/32"];
    expect(pool.allocate("c1", { requested })).toBe("172.16.1.2/32");
    const v6 = new AddressPool("fd00:16:1::/64");
    expect(v6.allocate("c1", { requested: ["fd00:16:1::/128", "fd00:16:1::1/128"] })).toBe(
      "fd00:16:1::2/128",
    );
    expect(v6.allocate("c2", { requested: ["fd00:16:1::ffff:ffff:ffff:ffff"] })).toBe(
      "fd00:16:1:0:ffff:ffff:ffff:ffff/128",
    );
  });

  it("an owner keeps its address while it is allowed, even if it asks for another", () => {
    const pool = new AddressPool("172.16.1.0/24");
    expect(pool.allocate("c1")).toBe("172.16.1.2/32");
    expect(pool.allocate("c1", { requested: ["172.16.1.90/32"] })).toBe("172.16.1.2/32");
    expect(pool.ownerOf("172.16.1.90")).toBeUndefined();
  });

  it("an owner whose address became excluded moves to a requested one, freeing the old", () => {
    const pool = new AddressPool("172.16.1.0/24");
    expect(pool.allocate("c1")).toBe("172.16.1.2/32");
    const moved = pool.allocate("c1", { requested: ["172.16.1.90/32"], excluded: ["172.16.1.2/32"] });
    expect(moved).toBe("172.16.1.90/32");
    expect(pool.ownerOf("172.16.1.2/32")).toBeUndefined();
    expect(pool.entries()).toEqual([["c1", "172.16.1.90/32"]]);
  });

  it("an owner whose address became excluded moves to the next free one", () => {
    const pool = new AddressPool("172.16.1.0/24");
    expect(pool.allocate("c1")).toBe("172.16.1.2/32");
    expect(pool.allocate("c1", { excluded: ["172.16.1.0/30"] })).toBe("172.16.1.4/32");
    expect(pool.allocate("c2")).toBe("172.16.1.3/32");
    expect(pool.used).toBe(2);
  });

  it("excluded prefixes are never handed out, not even when requested", () => {
    const pool = new AddressPool("172.16.1.0/24");
    const excluded = ["172.16.1.0/28", "172.16.1.16/32", "10.0.0.0/8", "fd00::/8"];
    expect(pool.allocate("c1", { excluded })).toBe("172.16.1.17/32");
    expect(pool.allocate("c2", { excluded, requested: ["172.16.1.5/32"] })).toBe("172.16.1.18/32");
    // Another request without those exclusions may use the skipped addresses.
    expect(pool.allocate("c3")).toBe("172.16.1.2/32");
  });

  it("an exclusion covering most of a /64 is jumped, not scanned", () => {
    const pool = new AddressPool("fd00:16:1::/64");
    // Every address but the last one: fd00:16:1::/65, then /66 ... /128 each starting where the last ended.
    const excluded: string[] = [];
    let start = 0n;
    for (let len = 65; len <= 128; len++) {
      excluded.push(`${pool.prefix.hostCidr(pool.prefix.network + start).split("/")[0]}/${len}`);
      start += 1n << BigInt(128 - len);
    }
    expect(excluded).toHaveLength(64);
    expect(pool.allocate("c1", { excluded })).toBe("fd00:16:1:0:ffff:ffff:ffff:ffff/128");
    const err = thrown(() => pool.allocate("c2", { excluded }));
    expect(err).toBeInstanceOf(PoolExhaustedError);
    expect((err as Error).message).toContain("fd00:16:1::/64");
    // Without the exclusion the bottom of the prefix is still there.
    expect(pool.allocate("c2")).toBe("fd00:16:1::2/128");
    for (let i = 3; i < 1003; i++) pool.allocate(`n${i}`, { excluded: ["fd00:16:1::/65"] });
    expect(pool.addressOf("n1002")).toBe("fd00:16:1:0:8000::3e7/128");
  });

  it("malformed excluded or requested entries are CidrErrors naming the request field", () => {
    const pool = new AddressPool("172.16.1.0/24");
    const bad = thrown(() => pool.allocate("c1", { excluded: ["172.16.1.0"] }));
    expect(bad).toBeInstanceOf(CidrError);
    expect((bad as CidrError).field).toBe("excluded_prefixes");
    const worse = thrown(() => pool.allocate("c1", { requested: ["172.16.1.300/32"] }));
    expect(worse).toBeInstanceOf(CidrError);
    expect((worse as CidrError).field).toBe("src_ip_addrs");
    expect(pool.used).toBe(0);
  });
});
