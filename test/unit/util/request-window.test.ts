// RequestWindow (src/util/request-window.ts): how many requests it lets out at once, how that grows
// with answers and shrinks (once per calm period) with requests that ran out of time, and that a
// request abandoned while waiting is never sent. Time is a parameter; nothing here sleeps.
import { describe, expect, it } from "vitest";
import { AbandonedError, RequestWindow } from "../../../src/util/request-window.js";

/** A request that resolves or rejects when the test says so. */
function pending() {
  let settle!: (ok: boolean) => void;
  const p = new Promise<string>((resolve, reject) => {
    settle = (ok) => (ok ? resolve("answer") : reject(new Error("late")));
  });
  return { p, settle };
}

const late = (e: unknown) => (e as Error).message === "late";
const turn = () => new Promise((r) => setImmediate(r));

describe("RequestWindow", () => {
  it("lets `initial` requests out at once and the next one only when a place frees up", async () => {
    const w = new RequestWindow({ initial: 2, calmMs: 1000 });
    const reqs = [pending(), pending(), pending()];
    let sent = 0;
    const results = reqs.map((r) =>
      w.run(() => {
        sent++;
        return r.p;
      }, late),
    );
    await turn();
    expect(sent).toBe(2);
    expect(w.waiting).toBe(1);
    reqs[0]!.settle(true);
    await results[0];
    await turn();
    expect(sent).toBe(3);
    reqs[1]!.settle(true);
    reqs[2]!.settle(true);
    await Promise.all(results);
  });

  it("doubles per window's worth of answers up to max until one is late, then grows by one per window", async () => {
    const now = 0;
    const w = new RequestWindow({ initial: 2, max: 16, calmMs: 1000, now: () => now });
    for (let i = 0; i < 2; i++) await w.run(async () => "ok", late);
    expect(w.limit).toBe(4);
    for (let i = 0; i < 4; i++) await w.run(async () => "ok", late);
    expect(w.limit).toBe(8);
    for (let i = 0; i < 20; i++) await w.run(async () => "ok", late);
    expect(w.limit).toBe(16);
    await w.run(() => Promise.reject(new Error("late")), late).catch(() => undefined);
    expect(w.limit).toBe(8);
    for (let i = 0; i < 8; i++) await w.run(async () => "ok", late);
    expect(w.limit).toBe(8); // 8 + 1/8 + 1/8.125 + ... = 8.95 after a window's worth
    await w.run(async () => "ok", late);
    expect(w.limit).toBe(9);
  });

  it("halves on a late request, once per calm period, never below min; other failures change nothing", async () => {
    let now = 0;
    const w = new RequestWindow({ initial: 16, min: 2, calmMs: 1000, now: () => now });
    const fail = (message: string) =>
      w.run(() => Promise.reject(new Error(message)), late).catch(() => undefined);
    await fail("refused");
    expect(w.limit).toBe(16);
    await Promise.all([fail("late"), fail("late"), fail("late")]);
    expect(w.limit).toBe(8); // three late together: one sign
    now += 1000;
    await fail("late");
    expect(w.limit).toBe(4);
    for (let i = 0; i < 3; i++) {
      now += 1000;
      await fail("late");
    }
    expect(w.limit).toBe(2);
  });

  it("never sends a request whose sender gave up while it waited", async () => {
    const w = new RequestWindow({ initial: 1, calmMs: 1000 });
    const first = pending();
    const running = w.run(() => first.p, late);
    const abort = new AbortController();
    let sent = false;
    const waiting = w.run(
      async () => {
        sent = true;
        return "x";
      },
      late,
      abort.signal,
    );
    abort.abort();
    first.settle(true);
    await running;
    await expect(waiting).rejects.toBeInstanceOf(AbandonedError);
    expect(sent).toBe(false);
  });
});
