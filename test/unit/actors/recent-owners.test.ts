// RecentOwners: an ended connection's id stays its owner's for the TTL, however many others end in
// between; when full, room comes only from the client holding the most ended ids, and with none
// ended a new id is refused (`admits`).
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

  it("keeps every owner named without proof through churn past `max`: new ids are refused instead", () => {
    const r = new RecentOwners({ ttlMs: 1000, max: 3, now: () => 0 });
    r.remember("c1", a);
    r.remember("c2", b);
    r.remember("c3", b);
    expect(r.admits(0)).toBe(false);
    expect(r.ownerOf("c1")).toEqual(a);
  });

  it("one identity churning ids past `max` costs its own oldest ids, never another's, whatever names it uses", () => {
    const honest = { ...a, identity: "spiffe://td/ns/x/sa/honest" };
    const mallory = (i: number) => ({ name: `m-${i}`, id: `${i}`, identity: "spiffe://td/ns/x/sa/mallory" });
    const r = new RecentOwners({ ttlMs: 1000, max: 4, now: () => 0 });
    r.remember("c1", honest);
    for (let i = 0; i < 3; i++) r.remember(`churn-${i}`, mallory(i));
    for (let i = 3; i < 50; i++) {
      expect(r.admits(0)).toBe(true);
      r.remember(`churn-${i}`, mallory(i));
    }
    expect(r.ownerOf("c1")).toEqual(honest);
    expect(r.ownerOf("churn-0")).toBeUndefined();
    expect(r.ownerOf("churn-49")?.name).toBe("m-49");
    expect(r.size).toBe(4);
  });

  it("admits a new id only while the running ones and the remembered ones leave room", () => {
    let now = 0;
    const r = new RecentOwners({ ttlMs: 1000, max: 3, now: () => now });
    expect(r.admits(2)).toBe(true);
    expect(r.admits(3)).toBe(false);
    r.remember("c1", a);
    now = 500;
    r.remember("c2", b);
    expect(r.admits(0)).toBe(true);
    // All held by running connections: refused, and no ended id given up for nothing.
    expect(r.admits(3)).toBe(false);
    expect(r.size).toBe(2);
    // c1's time is up: its room is free again (swept oldest first), c2 is still kept.
    now = 1000;
    expect(r.admits(1)).toBe(true);
    expect(r.size).toBe(1);
    expect(r.ownerOf("c2")).toEqual(b);
  });

  it("a remembered id again is kept from its latest end; forget drops it", () => {
    let now = 0;
    const r = new RecentOwners({ ttlMs: 1000, now: () => now });
    r.remember("c1", a);
    r.remember("c2", b);
    now = 800;
    r.remember("c1", a);
    now = 1500;
    expect(r.ownerOf("c2")).toBeUndefined();
    expect(r.ownerOf("c1")).toEqual(a);
    r.forget("c1");
    expect(r.ownerOf("c1")).toBeUndefined();
  });
});
