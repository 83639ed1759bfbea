import { describe, expect, it } from "vitest";
import { AddressPool, PoolExhaustedError } from "../../../src/ipam/address-pool.js";
import { thrown } from "./thrown.js";

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
