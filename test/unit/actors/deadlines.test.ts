// Many waits on one deadline timer: each fires once when due, a cancelled one never does.
import { describe, expect, it } from "vitest";
import { atDeadline } from "../../../src/actors/deadlines.js";

const fired = (at: number, log: string[], name: string) =>
  new Promise<void>((resolve) =>
    atDeadline(at, () => {
      log.push(name);
      resolve();
    }),
  );

describe("atDeadline", () => {
  it("fires each due wait once, earliest first, and never a cancelled one", async () => {
    const log: string[] = [];
    const now = Date.now();
    const cancel = atDeadline(now + 10, () => log.push("cancelled"));
    const late = fired(now + 60, log, "late");
    const early = fired(now + 20, log, "early");
    cancel();
    await Promise.all([early, late]);
    expect(log).toEqual(["early", "late"]);
  });

  it("fires a wait whose deadline has already passed", async () => {
    const log: string[] = [];
    await fired(Date.now() - 1, log, "past");
    expect(log).toEqual(["past"]);
  });
});
