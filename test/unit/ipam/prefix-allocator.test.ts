import { describe, expect, it } from "vitest";
import { CidrError } from "../../../src/ipam/cidr.js";
import { AllocationConflictError, PoolExhaustedError } from "../../../src/ipam/errors.js";
import { PrefixAllocator } from "../../../src/ipam/prefix-allocator.js";
import { thrown } from "./thrown.js";

describe("PrefixAllocator: construction", () => {
  it("counts the prefixes of the pool", () => {
    expect(new PrefixAllocator("172.16.0.0/16", 24).count).toBe(256n);
    expect(new PrefixAllocator("fd00::/48", 64).count).toBe(65536n);
    expect(new PrefixAllocator("172.16.0.0/16", 16).count).toBe(1n);
  });

  it.each([8, 33, 24.5, Number.NaN])("rejects prefix length %s for a /16 with a RangeError", (len) => {
    expect(thrown(() => new PrefixAllocator("172.16.0.0/16", len))).toBeInstanceOf(RangeError);
  });

  it("rejects a malformed pool or exclusion with a CidrError", () => {
    const pool = thrown(() => new PrefixAllocator("172.16.0.0", 24));
    expect(pool).toBeInstanceOf(CidrError);
    expect((pool as CidrError).field).toBe("pool");
    const exclude = thrown(() => new PrefixAllocator("172.16.0.0/16", 24, ["10.0.0.0/40"]));
    expect(exclude).toBeInstanceOf(CidrError);
    expect((exclude as CidrError).field).toBe("exclude_prefixes");
  });
});

describe("PrefixAllocator: allocation", () => {
  it("hands out prefixes in order; an owner keeps its own", () => {
    const alloc = new PrefixAllocator("172.16.0.0/16", 24);
    expect(alloc.allocate("nse-a")).toBe("172.16.0.0/24");
    expect(alloc.allocate("nse-b")).toBe("172.16.1.0/24");
    expect(alloc.allocate("nse-c")).toBe("172.16.2.0/24");
    expect(alloc.allocate("nse-b")).toBe("172.16.1.0/24");
    expect(alloc.allocate("nse-b", { requested: "172.16.9.0/24" })).toBe("172.16.1.0/24");
    expect(alloc.entries()).toEqual([
      { owner: "nse-a", prefix: "172.16.0.0/24" },
      { owner: "nse-b", prefix: "172.16.1.0/24" },
      { owner: "nse-c", prefix: "172.16.2.0/24" },
    ]);
  });

  it("IPv6: /64s out of a /48", () => {
    const alloc = new PrefixAllocator("fd00::/48", 64);
    expect(alloc.allocate("nse-a")).toBe("fd00::/64");
    expect(alloc.allocate("nse-b")).toBe("fd00:0:0:1::/64");
    expect(alloc.allocate("nse-c", { requested: "fd00:0:0:ffff::/64" })).toBe("fd00:0:0:ffff::/64");
    expect(alloc.ownerOf("fd00:0:0:ffff::/64")).toBe("nse-c");
  });

  it("a requested prefix is honoured when it is free and one of the pool's", () => {
    const alloc = new PrefixAllocator("172.16.0.0/16", 24);
    expect(alloc.allocate("nse-a", { requested: "172.16.9.0/24" })).toBe("172.16.9.0/24");
    expect(alloc.allocate("nse-b", { requested: "172.16.9.0/24" })).toBe("172.16.0.0/24");
    expect(alloc.allocate("nse-c", { requested: "172.16.10.5/24" })).toBe("172.16.1.0/24");
    expect(alloc.allocate("nse-d", { requested: "172.16.10.0/25" })).toBe("172.16.2.0/24");
    expect(alloc.allocate("nse-e", { requested: "10.0.10.0/24" })).toBe("172.16.3.0/24");
    expect(alloc.allocate("nse-f", { requested: "fd00::/24" })).toBe("172.16.4.0/24");
    expect(alloc.allocate("nse-g", { requested: "" })).toBe("172.16.5.0/24");
  });

  it("a malformed requested prefix is a CidrError", () => {
    const alloc = new PrefixAllocator("172.16.0.0/16", 24);
    const err = thrown(() => alloc.allocate("nse-a", { requested: "172.16.x.0/24" }));
    expect(err).toBeInstanceOf(CidrError);
    expect((err as CidrError).field).toBe("prefix");
    expect(alloc.entries()).toEqual([]);
  });

  it("skips prefixes overlapping an exclusion, larger or smaller than a prefix", () => {
    const alloc = new PrefixAllocator("172.16.0.0/16", 24, ["172.16.0.0/23", "172.16.3.7/32", "10.0.0.0/8"]);
    expect(alloc.allocate("nse-a")).toBe("172.16.2.0/24");
    expect(alloc.allocate("nse-b")).toBe("172.16.4.0/24");
    expect(alloc.allocate("nse-c", { requested: "172.16.1.0/24" })).toBe("172.16.5.0/24");
  });

  it("an exclusion wider than the pool leaves nothing", () => {
    const alloc = new PrefixAllocator("172.16.0.0/16", 24, ["172.16.0.0/12"]);
    const err = thrown(() => alloc.allocate("nse-a"));
    expect(err).toBeInstanceOf(PoolExhaustedError);
    expect((err as Error).message).toBe("172.16.0.0/16: no free /24 (0 of 256 in use, the rest excluded)");
  });

  it("a per-call exclusion moves an owner whose prefix it covers", () => {
    const alloc = new PrefixAllocator("172.16.0.0/16", 24);
    expect(alloc.allocate("nse-a")).toBe("172.16.0.0/24");
    expect(alloc.allocate("nse-a", { exclude: ["172.16.0.0/24"] })).toBe("172.16.1.0/24");
    expect(alloc.ownerOf("172.16.0.0/24")).toBeUndefined();
    expect(alloc.allocate("nse-b")).toBe("172.16.2.0/24");
    // Never-used prefixes go first; the freed one waits (its old routes may still be around).
    expect(alloc.allocate("nse-c")).toBe("172.16.3.0/24");
  });

  it("an IPv6 pool with 2^48 prefixes jumps a huge exclusion", () => {
    const alloc = new PrefixAllocator("fd00::/16", 64, ["fd00::/17"]);
    expect(alloc.count).toBe(2n ** 48n);
    expect(alloc.allocate("nse-a")).toBe("fd00:8000::/64");
  });
});

describe("PrefixAllocator: exhaustion and release", () => {
  it("a /22 holds four /24s", () => {
    const alloc = new PrefixAllocator("172.16.0.0/22", 24);
    const got = ["a", "b", "c", "d"].map((o) => alloc.allocate(o));
    expect(got).toEqual(["172.16.0.0/24", "172.16.1.0/24", "172.16.2.0/24", "172.16.3.0/24"]);
    const err = thrown(() => alloc.allocate("e"));
    expect(err).toBeInstanceOf(PoolExhaustedError);
    expect((err as PoolExhaustedError).prefix).toBe("172.16.0.0/22");
    expect((err as Error).message).toBe("172.16.0.0/22: no free /24 (4 of 4 in use)");
  });

  it("release and releasePrefix free a prefix for reuse", () => {
    const alloc = new PrefixAllocator("172.16.0.0/22", 24);
    for (const o of ["a", "b", "c", "d"]) alloc.allocate(o);
    expect(alloc.release("b")).toBe(true);
    expect(alloc.release("b")).toBe(false);
    expect(alloc.releasePrefix("172.16.3.0/24")).toBe(true);
    expect(alloc.releasePrefix("172.16.3.0/24")).toBe(false);
    expect(alloc.releasePrefix("garbage")).toBe(false);
    expect(alloc.prefixOf("b")).toBeUndefined();
    expect(alloc.ownerOf("172.16.3.0/24")).toBeUndefined();
    expect(alloc.allocate("e")).toBe("172.16.1.0/24");
    expect(alloc.allocate("f")).toBe("172.16.3.0/24");
    expect(thrown(() => alloc.allocate("g"))).toBeInstanceOf(PoolExhaustedError);
  });

  it("lookups take the prefix exactly", () => {
    const alloc = new PrefixAllocator("172.16.0.0/16", 24);
    alloc.allocate("a");
    expect(alloc.prefixOf("a")).toBe("172.16.0.0/24");
    expect(alloc.ownerOf("172.16.0.0/24")).toBe("a");
    expect(alloc.ownerOf("172.16.0.5/24")).toBeUndefined();
    expect(alloc.ownerOf("172.16.0.0/25")).toBeUndefined();
    expect(alloc.ownerOf("nonsense")).toBeUndefined();
  });
});

describe("PrefixAllocator: restore", () => {
  const saved = [
    { owner: "nse-a", prefix: "172.16.1.0/24" },
    { owner: "nse-b", prefix: "172.16.0.0/24" },
  ];

  it("takes back saved allocations; new owners get the next free prefix", () => {
    const alloc = new PrefixAllocator("172.16.0.0/16", 24);
    alloc.restore(saved);
    expect(alloc.prefixOf("nse-a")).toBe("172.16.1.0/24");
    expect(alloc.allocate("nse-b")).toBe("172.16.0.0/24");
    expect(alloc.allocate("nse-c")).toBe("172.16.2.0/24");
    alloc.restore(saved); // the same again is no conflict
    expect(alloc.entries()).toEqual([...saved, { owner: "nse-c", prefix: "172.16.2.0/24" }]);
  });

  it.each([
    [
      "a prefix twice",
      [...saved, { owner: "nse-c", prefix: "172.16.1.0/24" }],
      "172.16.1.0/24 appears twice",
    ],
    ["an owner twice", [...saved, { owner: "nse-a", prefix: "172.16.7.0/24" }], "owner nse-a appears twice"],
    [
      "a prefix held by another",
      [{ owner: "nse-x", prefix: "172.16.5.0/24" }],
      "172.16.5.0/24 is held by nse-c",
    ],
    [
      "an owner holding another",
      [{ owner: "nse-c", prefix: "172.16.6.0/24" }],
      "nse-c already holds 172.16.5.0/24",
    ],
  ])("rejects %s, changing nothing", (_what, entries, message) => {
    const alloc = new PrefixAllocator("172.16.0.0/16", 24);
    alloc.allocate("nse-c", { requested: "172.16.5.0/24" });
    const err = thrown(() => alloc.restore(entries));
    expect(err).toBeInstanceOf(AllocationConflictError);
    expect((err as Error).message).toBe(`restore: ${message}`);
    expect(alloc.entries()).toEqual([{ owner: "nse-c", prefix: "172.16.5.0/24" }]);
  });

  it("rejects a prefix that is not one of the pool's with a CidrError", () => {
    const alloc = new PrefixAllocator("172.16.0.0/16", 24);
    for (const prefix of ["10.0.0.0/24", "172.16.1.0/25", "172.16.1.9/24", "bad"]) {
      const err = thrown(() => alloc.restore([...saved, { owner: "nse-z", prefix }]));
      expect(err).toBeInstanceOf(CidrError);
      expect((err as CidrError).field).toBe("prefix");
    }
    expect(alloc.entries()).toEqual([]);
  });

  it("restores IPv6 prefixes", () => {
    const alloc = new PrefixAllocator("fd00::/48", 64);
    alloc.restore([{ owner: "nse-a", prefix: "fd00:0:0:0::/64" }]);
    expect(alloc.allocate("nse-b")).toBe("fd00:0:0:1::/64");
    expect(alloc.prefixOf("nse-a")).toBe("fd00::/64");
  });
});
