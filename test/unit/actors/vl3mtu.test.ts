// The vL3 MTU rule (NSM's vl3mtu) on its own: a client asking for none gets jumbo, the smallest MTU
// any client answered becomes the vL3's, and it never goes back up. Pure, no actors or sockets.
import { describe, expect, it } from "vitest";
import { JUMBO_MTU, Vl3Mtu } from "../../../src/actors/vl3mtu.js";

describe("the vL3 MTU rule (NSM's vl3mtu)", () => {
  it("follows NSM's test vector: 0 → 9000; 1446 lowers it; 1500 is clamped to 1446", () => {
    const m = new Vl3Mtu();
    const steps = [0, 1446, 1500].map((requested) => {
      const answered = m.clamp(requested);
      return { requested, answered, lowered: m.seen(answered), after: m.current };
    });
    expect(steps).toEqual([
      { requested: 0, answered: JUMBO_MTU, lowered: false, after: 9000 },
      { requested: 1446, answered: 1446, lowered: true, after: 1446 },
      { requested: 1500, answered: 1446, lowered: false, after: 1446 },
    ]);
  });

  it("never goes back up, and ignores an answer of 0", () => {
    const m = new Vl3Mtu();
    m.seen(1400);
    expect([m.seen(0), m.seen(9000), m.current, m.clamp(1300)]).toEqual([false, false, 1400, 1300]);
  });
});
