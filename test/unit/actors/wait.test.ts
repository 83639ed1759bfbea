// settle (src/actors/wait.ts): a wait on an actor's snapshots ends once, with the snapshot it waited
// for, the final one, CANCELLED when the caller aborts or DEADLINE_EXCEEDED at its deadline; and it
// leaves nothing behind (no subscription, no abort listener).
import { describe, expect, it } from "vitest";
import { createActor, createMachine } from "xstate";
import { settle } from "../../../src/actors/wait.js";

const machine = createMachine({
  id: "w",
  initial: "a",
  states: { a: { on: { GO: "b" } }, b: { on: { GO: "c" } }, c: { type: "final" } },
});

const started = () => createActor(machine).start();
const observers = (actor: object) => (actor as { observers: Set<unknown> }).observers.size;

describe("settle", () => {
  it("resolves with the snapshot it waits for, at once if it is already there", async () => {
    const actor = started();
    expect((await settle(actor, (s) => s.value === "a")).value).toBe("a");
    const waiting = settle(actor, (s) => s.value === "b");
    actor.send({ type: "GO" });
    expect((await waiting).value).toBe("b");
    expect(observers(actor)).toBe(0);
  });

  it("resolves with the final snapshot when what it waits for never comes", async () => {
    const actor = started();
    const waiting = settle(actor, () => false);
    actor.send({ type: "GO" });
    actor.send({ type: "GO" });
    expect((await waiting).status).toBe("done");
  });

  it("rejects CANCELLED when the caller aborts, and stops listening", async () => {
    const actor = started();
    const abort = new AbortController();
    const waiting = settle(actor, () => false, Number.POSITIVE_INFINITY, abort.signal);
    abort.abort();
    await expect(waiting).rejects.toMatchObject({ code: "CANCELLED" });
    expect(observers(actor)).toBe(0);
    await expect(settle(actor, () => false, undefined, abort.signal)).rejects.toMatchObject({
      code: "CANCELLED",
    });
  });

  it("rejects DEADLINE_EXCEEDED once its deadline passes", async () => {
    const actor = started();
    const abort = new AbortController();
    await expect(settle(actor, () => false, Date.now() + 5, abort.signal)).rejects.toMatchObject({
      code: "DEADLINE_EXCEEDED",
    });
    expect(observers(actor)).toBe(0);
    // Aborting afterwards changes nothing: the wait is over.
    abort.abort();
  });
});
