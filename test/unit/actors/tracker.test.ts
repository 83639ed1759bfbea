// The actor tracker: follows real XState actors by subscription, reports each transition once, knows
// since when each actor is in its state, and forgets an actor once it is done.
import { afterEach, describe, expect, it, vi } from "vitest";
import { createActor, createMachine } from "xstate";
import type { LifecycleSignal } from "../../../src/actors/observe.js";
import { ActorTracker, stateString } from "../../../src/actors/tracker.js";

const lifecycle = createMachine({
  id: "connection",
  initial: "requesting",
  states: {
    requesting: { on: { NEXT: "up" } },
    up: { on: { NEXT: "closed", STAY: {} } },
    closed: { type: "final" },
  },
});

function tracked() {
  const tracker = new ActorTracker();
  const signals: LifecycleSignal[] = [];
  tracker.onSignal((s) => signals.push(s));
  const actor = createActor(lifecycle, { id: "connection/c1" }).start();
  tracker.track(actor);
  return { tracker, signals, actor };
}

describe("ActorTracker", () => {
  afterEach(() => vi.useRealTimers());

  it("reports each transition of a tracked actor once, with its kind", () => {
    const { tracker, signals, actor } = tracked();
    tracker.track(actor); // twice is a no-op
    actor.send({ type: "STAY" }); // no state change, no signal
    actor.send({ type: "NEXT" });
    actor.send({ type: "NEXT" });
    expect(signals).toEqual([
      { type: "transition", actor: "connection", id: "connection/c1", from: "", to: "requesting" },
      { type: "transition", actor: "connection", id: "connection/c1", from: "requesting", to: "up" },
      { type: "transition", actor: "connection", id: "connection/c1", from: "up", to: "closed" },
    ]);
  });

  it("knows since when an actor is in its state, and forgets it once done", () => {
    vi.useFakeTimers({ now: new Date("2026-11-21T10:00:00Z") });
    const { tracker, actor } = tracked();
    expect(tracker.since("connection/c1")?.toISOString()).toBe("2026-11-21T10:00:00.000Z");
    vi.setSystemTime(new Date("2026-11-21T10:00:05Z"));
    actor.send({ type: "STAY" });
    expect(tracker.since("connection/c1")?.toISOString()).toBe("2026-11-21T10:00:00.000Z");
    actor.send({ type: "NEXT" });
    expect(tracker.since("connection/c1")?.toISOString()).toBe("2026-11-21T10:00:05.000Z");
    actor.send({ type: "NEXT" });
    expect(tracker.since("connection/c1")).toBeUndefined();
  });

  it("names nested states by their path", () => {
    expect(stateString("up")).toBe("up");
    expect(stateString({ healing: "waiting" })).toBe("healing.waiting");
  });
});
