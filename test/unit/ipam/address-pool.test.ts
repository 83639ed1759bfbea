import { describe, expect, it } from "vitest";
import { AddressPool, PoolExhaustedError } from "../../../src/ipam/address-pool.js";
import { CidrError } from "../../../src/ipam/cidr.js";

/** Runs fn and returns what it threw (fails if it did not throw). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected a throw");
}

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

  it.each(["", "172.16.1.0", "172.16.1.0/33", "010.16.1.0/24", "nonsense/24"])(
    "rejects malformed %j",
    (p) => {
      const err = thrown(() => new AddressPool(p));
      expect(err).toBeInstanceOf(CidrError);
      expect((err as CidrError).field).toBe("prefix");
    },
  );

  it.each(["172.16.1.0/30", "172.16.1.0/31", "172.16.1.0/32", "fd00::/127", "fd00::/128"])(
    "rejects %s: no room for the NSE and two clients",
    (p) => {
      const err = thrown(() => new AddressPool(p));
      expect(err).toBeInstanceOf(CidrError);
      expect((err as CidrError).field).toBe("prefix");
      expect((err as Error).message).toContain("too small");
    },
  );
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

describe("AddressPool: exhaustion and release", () => {
  it("a /29 holds exactly five clients", () => {
    const pool = new AddressPool("172.16.1.0/29");
    expect(pool.capacity).toBe(5n);
    const got = ["a", "b", "c", "d", "e"].map((o) => pool.allocate(o));
    expect(got).toEqual([
      "172.16.1.2/32",
      "172.16.1.3/32",
      "172.16.1.4/32",
      "172.16.1.5/32",
      "172.16.1.6/32",
    ]);
    const err = thrown(() => pool.allocate("f"));
    expect(err).toBeInstanceOf(PoolExhaustedError);
    expect((err as PoolExhaustedError).prefix).toBe("172.16.1.0/29");
    expect((err as Error).message).toBe("172.16.1.0/29: no free address (5 of 5 in use)");
    expect(pool.used).toBe(5);
  });

  it("a /126 holds exactly two clients", () => {
    const pool = new AddressPool("fd00:16:1::/126");
    expect(pool.capacity).toBe(2n);
    expect(pool.allocate("a")).toBe("fd00:16:1::2/128");
    expect(pool.allocate("b")).toBe("fd00:16:1::3/128");
    expect(thrown(() => pool.allocate("c"))).toBeInstanceOf(PoolExhaustedError);
  });

  it("exclusions can exhaust a pool that still has addresses", () => {
    const pool = new AddressPool("172.16.1.0/29");
    expect(pool.allocate("a", { excluded: ["172.16.1.4/30"] })).toBe("172.16.1.2/32");
    expect(pool.allocate("b", { excluded: ["172.16.1.4/30"] })).toBe("172.16.1.3/32");
    expect(thrown(() => pool.allocate("c", { excluded: ["172.16.1.4/30"] }))).toBeInstanceOf(
      PoolExhaustedError,
    );
    expect(pool.allocate("c")).toBe("172.16.1.4/32");
  });

  it("released addresses are reused, longest released first", () => {
    const pool = new AddressPool("172.16.1.0/29");
    for (const o of ["a", "b", "c", "d", "e"]) pool.allocate(o);
    expect(pool.release("d")).toBe(true);
    expect(pool.release("b")).toBe(true);
    expect(pool.release("b")).toBe(false);
    expect(pool.release("nobody")).toBe(false);
    expect(pool.addressOf("b")).toBeUndefined();
    expect(pool.allocate("f")).toBe("172.16.1.5/32");
    expect(pool.allocate("g")).toBe("172.16.1.3/32");
    expect(thrown(() => pool.allocate("h"))).toBeInstanceOf(PoolExhaustedError);
  });

  it("a requested address taken out of order is not handed out twice", () => {
    const pool = new AddressPool("172.16.1.0/29");
    expect(pool.allocate("x", { requested: ["172.16.1.4/32"] })).toBe("172.16.1.4/32");
    const got = ["a", "b", "c", "d"].map((o) => pool.allocate(o));
    expect(got).toEqual(["172.16.1.2/32", "172.16.1.3/32", "172.16.1.5/32", "172.16.1.6/32"]);
    expect(thrown(() => pool.allocate("e"))).toBeInstanceOf(PoolExhaustedError);
    pool.release("x");
    expect(pool.allocate("e")).toBe("172.16.1.4/32");
  });

  it("a released address can be requested back by a healing client", () => {
    const pool = new AddressPool("172.16.1.0/24");
    pool.allocate("a");
    pool.allocate("b");
    pool.release("a");
    expect(pool.allocate("a2", { requested: ["172.16.1.2/32"] })).toBe("172.16.1.2/32");
    expect(pool.allocate("c")).toBe("172.16.1.4/32");
  });

  it("lookups: addressOf, ownerOf (bare or with length), entries", () => {
    const pool = new AddressPool("172.16.1.0/24");
    pool.allocate("a");
    pool.allocate("b");
    expect(pool.addressOf("b")).toBe("172.16.1.3/32");
    expect(pool.ownerOf("172.16.1.3")).toBe("b");
    expect(pool.ownerOf("172.16.1.3/32")).toBe("b");
    expect(pool.ownerOf("172.16.1.9/32")).toBeUndefined();
    expect(pool.ownerOf("172.16.1.1/32")).toBeUndefined();
    expect(pool.ownerOf("not an address")).toBeUndefined();
    expect(pool.ownerOf("::ffff:ac10:103")).toBeUndefined();
    expect(pool.entries()).toEqual([
      ["a", "172.16.1.2/32"],
      ["b", "172.16.1.3/32"],
    ]);
  });
});

describe("AddressPool: many owners", () => {
  it("10,000 owners in a /16 get distinct client addresses, then give them back", () => {
    const pool = new AddressPool("172.16.0.0/16");
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) seen.add(pool.allocate(`conn-${i}`));
    expect(seen.size).toBe(10_000);
    expect(pool.used).toBe(10_000);
    expect(seen.has("172.16.0.0/32") || seen.has("172.16.0.1/32")).toBe(false);
    expect(pool.addressOf("conn-0")).toBe("172.16.0.2/32");
    expect(pool.addressOf("conn-9999")).toBe("172.16.39.17/32");
    expect(pool.ownerOf("172.16.39.17")).toBe("conn-9999");
    for (let i = 0; i < 10_000; i += 2) expect(pool.release(`conn-${i}`)).toBe(true);
    expect(pool.used).toBe(5_000);
    for (let i = 0; i < 10_000; i += 2) pool.allocate(`again-${i}`);
    expect(new Set(pool.entries().map(([, a]) => a)).size).toBe(10_000);
  });

  it("10,000 owners in a /64 (fresh addresses, no scanning)", () => {
    const pool = new AddressPool("fd00:16:1::/64");
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) seen.add(pool.allocate(`conn-${i}`));
    expect(seen.size).toBe(10_000);
    expect(pool.addressOf("conn-9999")).toBe("fd00:16:1::2711/128");
  });
});
