// The data-plane queue against the in-memory back end: coalescing, one transaction in flight,
// dedupe, per-owner outcomes when a batch fails, and retry with backoff while the back end is away.
import { afterEach, describe, expect, it } from "vitest";
import { MemoryDataplane } from "../../../src/dataplane/memory.js";
import { DataplaneQueue } from "../../../src/dataplane/queue.js";
import { type Item, itemKey, type Transaction } from "../../../src/dataplane/types.js";
import { silentLogger } from "../../../src/log.js";

/** The memory back end, recording every transaction, with a gate that holds `apply` while closed. */
class Recorded extends MemoryDataplane {
  readonly log: Transaction[] = [];
  attempts = 0;
  inFlight = 0;
  maxInFlight = 0;
  private gate?: Promise<void>;
  private open?: () => void;

  hold(): void {
    this.gate = new Promise((resolve) => {
      this.open = resolve;
    });
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }

  override async apply(txn: Transaction): Promise<void> {
    this.attempts++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.gate) await this.gate;
      await super.apply(txn);
      this.log.push(txn);
    } finally {
      this.inFlight--;
    }
  }
}

const link = (ifName: string, host: string): Item[] => [
  {
    type: "interface",
    name: ifName,
    role: "server",
    mechanism: { cls: "LOCAL", type: "KERNEL", parameters: {} },
  },
  { type: "address", ifName, cidr: "172.16.0.1/32" },
  { type: "route", dst: host, ifName },
];
const keys = (items: Item[]) => items.map(itemKey).sort();

let queue: DataplaneQueue | undefined;
function setup() {
  const dp = new Recorded();
  queue = new DataplaneQueue(dp, { log: silentLogger(), retry: { initialMs: 1, maxMs: 4 } });
  return { dp, q: queue };
}
afterEach(async () => {
  await queue?.close();
  queue = undefined;
});

/** Lets queued microtasks and the p-queue run (no timing: just a turn of the event loop). */
const turn = () => new Promise((r) => setImmediate(r));

describe("DataplaneQueue", () => {
  it("programs an owner's items and reports them as desired", async () => {
    const { dp, q } = setup();
    await q.set("a", link("nsc-a", "172.16.0.2/32"));
    expect(keys(await dp.dump())).toEqual(keys(link("nsc-a", "172.16.0.2/32")));
    expect(keys(q.ownedBy("a"))).toEqual(keys(link("nsc-a", "172.16.0.2/32")));
    expect(q.desired()).toHaveLength(3);
  });

  it("coalesces queued changes of the same owner: the newest wins, every caller is answered", async () => {
    const { dp, q } = setup();
    dp.hold();
    const first = q.set("x", link("nsc-x", "172.16.0.9/32"));
    await turn();
    const stale = q.set("a", link("nsc-a", "172.16.0.2/32"));
    const newest = q.set("a", link("nsc-a", "172.16.0.3/32"));
    dp.release();
    await Promise.all([first, stale, newest]);
    expect(dp.log).toHaveLength(2);
    expect(keys(dp.log[1]!.put)).toEqual(keys(link("nsc-a", "172.16.0.3/32")));
    expect(keys(await dp.dump())).toContain("route/172.16.0.3/32/nsc-a/");
    expect(keys(await dp.dump())).not.toContain("route/172.16.0.2/32/nsc-a/");
  });

  it("batches owners that queued while a transaction was in flight, one transaction at a time", async () => {
    const { dp, q } = setup();
    dp.hold();
    const waits = [q.set("first", link("nsc-0", "172.16.0.2/32"))];
    await turn();
    for (let i = 1; i <= 20; i++) waits.push(q.set(`o${i}`, link(`nsc-${i}`, `172.16.0.${i + 2}/32`)));
    dp.release();
    await Promise.all(waits);
    expect(dp.maxInFlight).toBe(1);
    expect(dp.log).toHaveLength(2);
    expect(dp.log[1]!.put).toHaveLength(60);
  });

  it("sends only what changed, and removes what an owner no longer has", async () => {
    const { dp, q } = setup();
    await q.set("a", link("nsc-a", "172.16.0.2/32"));
    await q.set("a", [
      ...link("nsc-a", "172.16.0.2/32"),
      { type: "route", dst: "10.0.0.0/8", ifName: "nsc-a" },
    ]);
    expect(keys(dp.log[1]!.put)).toEqual(["route/10.0.0.0/8/nsc-a/"]);
    expect(dp.log[1]!.del).toEqual([]);
    await q.remove("a");
    expect(dp.log[2]!.put).toEqual([]);
    expect(dp.log[2]!.del).toHaveLength(4);
    expect(await dp.dump()).toEqual([]);
    expect(q.ownedBy("a")).toEqual([]);
  });

  it("sends a key once, even when listed twice or by two owners in one batch", async () => {
    const { dp, q } = setup();
    dp.hold();
    const waits = [q.set("first", link("nsc-0", "172.16.0.2/32"))];
    await turn();
    const shared: Item = {
      type: "interface",
      name: "shared",
      role: "server",
      mechanism: { cls: "LOCAL", type: "KERNEL", parameters: {} },
    };
    waits.push(q.set("a", [shared, shared]), q.set("b", [shared]));
    dp.release();
    await Promise.all(waits);
    expect(dp.log[1]!.put.map(itemKey)).toEqual(["interface/shared"]);
  });

  it("puts a key that one owner drops and another takes in the same batch (no delete)", async () => {
    const { dp, q } = setup();
    const shared: Item = {
      type: "interface",
      name: "shared",
      role: "server",
      mechanism: { cls: "LOCAL", type: "KERNEL", parameters: {} },
    };
    await q.set("a", [shared]);
    dp.hold();
    const blocker = q.set("x", link("nsc-x", "172.16.0.9/32"));
    await turn();
    const waits = [q.remove("a"), q.set("b", [shared])];
    dp.release();
    await Promise.all([blocker, ...waits]);
    expect(dp.log.at(-1)!.del).toEqual([]);
    expect(keys(await dp.dump())).toContain("interface/shared");
  });

  it("fails only the owner whose change the back end rejects; the rest of the batch is applied", async () => {
    const { dp, q } = setup();
    dp.failWhen = (txn) => txn.put.some((i) => i.type === "interface" && i.name === "nsc-bad");
    dp.hold();
    const blocker = q.set("x", link("nsc-x", "172.16.0.9/32"));
    await turn();
    const good1 = q.set("good1", link("nsc-g1", "172.16.0.2/32"));
    const bad = q.set("bad", link("nsc-bad", "172.16.0.3/32"));
    const good2 = q.set("good2", link("nsc-g2", "172.16.0.4/32"));
    dp.release();
    await expect(bad).rejects.toThrow(/injected failure/);
    await Promise.all([blocker, good1, good2]);
    const programmed = keys(await dp.dump());
    expect(programmed).toContain("interface/nsc-g1");
    expect(programmed).toContain("interface/nsc-g2");
    expect(programmed).not.toContain("interface/nsc-bad");
    expect(q.ownedBy("bad")).toEqual([]);
  });

  it("finds one bad owner among 64 by halving the batch, not by trying each alone", async () => {
    const { dp, q } = setup();
    dp.failWhen = (txn) => txn.put.some((i) => i.type === "interface" && i.name === "nsc-bad");
    dp.hold();
    const blocker = q.set("x", link("nsc-x", "172.16.0.9/32"));
    await turn();
    const before = dp.attempts;
    const calls = Array.from({ length: 64 }, (_, i) =>
      i === 40
        ? q.set("bad", link("nsc-bad", "172.16.1.40/32"))
        : q.set(`n${i}`, link(`nsc-${i}`, `172.16.1.${i}/32`)),
    );
    dp.release();
    await blocker;
    const outcomes = await Promise.allSettled(calls);
    expect(outcomes.filter((o) => o.status === "rejected")).toHaveLength(1);
    // 1 for the whole batch, then 2 per level of halving (6 levels for 64).
    expect(dp.attempts - before).toBeLessThanOrEqual(1 + 2 * 6);
  });

  it("retries with backoff while the back end is unavailable, then converges on the newest state", async () => {
    const { dp, q } = setup();
    dp.unavailable = true;
    let settled = false;
    const older = q.set("a", link("nsc-a", "172.16.0.2/32"));
    void older.finally(() => {
      settled = true;
    });
    // Bounded: the queue keeps trying (attempts grow) and nothing is answered meanwhile.
    for (let i = 0; i < 500 && dp.attempts < 3; i++) await new Promise((r) => setTimeout(r, 2));
    expect(dp.attempts).toBeGreaterThanOrEqual(3);
    expect(settled).toBe(false);
    const newer = q.set("a", link("nsc-a", "172.16.0.5/32"));
    dp.unavailable = false;
    await Promise.all([older, newer]);
    expect(keys(await dp.dump())).toEqual(keys(link("nsc-a", "172.16.0.5/32")));
  });

  it("does not apply later a change it already reported failed (the back end went away mid-batch)", async () => {
    const { dp, q } = setup();
    let rejections = 0;
    // nsc-bad is refused three times (in the batch, in its half and alone); the back end then goes
    // away for a while.
    dp.failWhen = (txn) => {
      if (!txn.put.some((i) => i.type === "interface" && i.name === "nsc-bad") || rejections >= 3)
        return false;
      if (++rejections === 3) dp.unavailable = true;
      return true;
    };
    dp.hold();
    const blocker = q.set("x", link("nsc-x", "172.16.0.9/32"));
    await turn();
    const good = q.set("good", link("nsc-good", "172.16.0.2/32"));
    const bad = q.set("bad", link("nsc-bad", "172.16.0.3/32"));
    const late = q.set("late", link("nsc-late", "172.16.0.4/32"));
    dp.release();
    await expect(bad).rejects.toThrow(/injected failure/);
    await Promise.all([blocker, good]);
    dp.unavailable = false;
    await late;
    const programmed = keys(await dp.dump());
    expect(programmed).toContain("interface/nsc-late");
    expect(programmed).not.toContain("interface/nsc-bad");
  });

  it("answers the callers of a transaction that was in flight when it closed", async () => {
    const { dp, q } = setup();
    dp.hold();
    const inFlight = q.set("a", link("nsc-a", "172.16.0.2/32"));
    await turn();
    dp.unavailable = true;
    const closing = q.close();
    dp.release();
    await closing;
    await expect(inFlight).rejects.toThrow(/closed/);
  });

  it("resyncs the back end to the desired state", async () => {
    const { dp, q } = setup();
    await q.set("a", link("nsc-a", "172.16.0.2/32"));
    await dp.resync([]);
    expect(await dp.dump()).toEqual([]);
    await q.resync();
    expect(keys(await dp.dump())).toEqual(keys(link("nsc-a", "172.16.0.2/32")));
  });

  it("rejects waiters still queued when it is closed, and new changes after", async () => {
    const { dp, q } = setup();
    dp.unavailable = true;
    const pending = q.set("a", link("nsc-a", "172.16.0.2/32"));
    await turn();
    await q.close();
    await expect(pending).rejects.toThrow(/closed/);
    await expect(q.set("b", [])).rejects.toThrow(/closed/);
  });
});
