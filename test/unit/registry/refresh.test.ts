// When the endpoint refreshes its registration (refreshDelay): at 2/3 of what was granted while
// refreshes are quick, early enough for a refresh as slow as the last one to land with as much to
// spare while they are slow (a loaded machine), never before 1/3.
import { describe, expect, it } from "vitest";
import { refreshDelay } from "../../../src/registry/register.js";

describe("refreshDelay", () => {
  it.each([
    // lifetime, last refresh took, refresh after
    [3000, 0, 2000],
    [3000, 400, 2000],
    [3000, 500, 2000],
    [3000, 800, 1400],
    [3000, 1000, 1000],
    [3000, 5000, 1000],
    [60_000, 300, 40_000],
    [60_000, 12_000, 36_000],
    [0, 100, 0],
  ])("lifetime %i ms, last refresh %i ms: after %i ms", (lifetime, slow, after) => {
    expect(refreshDelay(lifetime, slow)).toBe(after);
  });

  it("leaves a refresh as slow as the last one twice its time before the entry expires, while it can", () => {
    for (const slow of [0, 100, 300, 600, 900]) {
      const at = refreshDelay(3000, slow);
      expect(3000 - at).toBeGreaterThanOrEqual(Math.min(2 * slow, 2000));
    }
  });

  it("a negative measure (a clock step) counts as quick", () => {
    expect(refreshDelay(3000, -500)).toBe(2000);
  });
});
