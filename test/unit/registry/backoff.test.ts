import { describe, expect, it } from "vitest";
import { Backoff, backoffDelay } from "../../../src/util/backoff.js";

describe("backoffDelay", () => {
  const o = { initialMs: 100, maxMs: 1000 };

  it("doubles per attempt up to the maximum (equal jitter: between half and all of the step)", () => {
    const hi = { ...o, random: () => 0.999999 };
    const lo = { ...o, random: () => 0 };
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffDelay(n, hi))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffDelay(n, lo))).toEqual([50, 100, 200, 400, 500, 500]);
  });

  it("full jitter spreads over [0, step]", () => {
    expect(backoffDelay(3, { ...o, jitter: "full", random: () => 0 })).toBe(0);
    expect(backoffDelay(3, { ...o, jitter: "full", random: () => 0.5 })).toBe(400);
  });

  it("stays bounded for huge attempts and odd random values", () => {
    for (const r of [-1, 0, 0.5, 1, 2, Number.NaN]) {
      for (const n of [0, 10, 1000, Number.MAX_SAFE_INTEGER]) {
        const d = backoffDelay(n, { ...o, random: () => r });
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(1000);
      }
    }
  });

  it("Backoff counts attempts and resets", () => {
    const b = new Backoff({ ...o, random: () => 0.999999 });
    expect([b.next(), b.next(), b.next()]).toEqual([100, 200, 400]);
    expect(b.attempts).toBe(3);
    b.reset();
    expect(b.next()).toBe(100);
  });
});
