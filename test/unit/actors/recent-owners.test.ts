// RecentOwners: an ended connection's id stays its owner's for the TTL, and the oldest are forgotten
// first once full.
import { describe, expect, it } from "vitest";
import { RecentOwners } from "../../../src/actors/recent-owners.js";

const a = { name: "nsc-a", id: "a1" };
const b = { name: "nsc-b", id: "b1" };

describe("RecentOwners", () => {
  it("keeps an owner for the TTL, then forgets it", () => {
    let now = 0;
    const r = new RecentOwners({ ttlMs: 1000, now: () => now });
    r.remember("c1", a);
    expect(r.ownerOf("c1")).toEqual(a);
    now = 999;
    expect(r.ownerOf("c1")).toEqual(a);
    now = 1000;
    expect(r.ownerOf("c1")).toBeUndefined();
    expect(r.size).toBe(0);
  });

  it("forgets the oldest first when full, and a remembered id again is the newest", () => {
    const r = new RecentOwners({ ttlMs: 1000, max: 2, now: () => 0 });
    r.remember("c1", a);
    r.remember("c2", b);
    r.remember("c1", a);
    r.remember("c3", b);
    expect(r.ownerOf("c2")).toBeUndefined();
    expect(r.ownerOf("c1")).toEqual(a);
    expect(r.ownerOf("c3")).toEqual(b);
    r.forget("c1");
    expect(r.ownerOf("c1")).toBeUndefined();
  });
});
