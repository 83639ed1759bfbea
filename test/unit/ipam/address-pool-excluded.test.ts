// AddressPool with the prefix server's exclude_prefixes: excluded addresses are never handed out,
// even when asked for, and a change of exclusions names the holders who must move.
import { describe, expect, it } from "vitest";
import { AddressPool } from "../../../src/ipam/address-pool.js";

describe("AddressPool with the prefix server's exclude_prefixes", () => {
  it("never hands out an excluded address, even when a client asks for it", () => {
    const pool = new AddressPool("172.16.0.0/24", ["172.16.0.2/31", "10.0.0.0/8"]);
    expect(pool.allocate("a")).toBe("172.16.0.4/32");
    expect(pool.allocate("b", { requested: ["172.16.0.3/32"] })).toBe("172.16.0.5/32");
  });

  it("after a change, names the holders of newly excluded addresses; they get another one", () => {
    const pool = new AddressPool("172.16.0.0/24");
    const held = ["a", "b", "c"].map((o) => pool.allocate(o));
    expect(held).toEqual(["172.16.0.2/32", "172.16.0.3/32", "172.16.0.4/32"]);
    expect(pool.setExcluded(["172.16.0.2/31"]).sort()).toEqual(["a", "b"]);
    expect(pool.allocate("a")).toBe("172.16.0.5/32");
    expect(pool.allocate("c")).toBe("172.16.0.4/32");
    // Lifted again: a free one is anyone's to ask for.
    expect(pool.setExcluded([])).toEqual([]);
    expect(pool.allocate("d", { requested: ["172.16.0.2/32"] })).toBe("172.16.0.2/32");
  });
});
