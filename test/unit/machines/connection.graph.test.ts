// Every state of the connection machine (nested healing states and both final states included) is
// reachable, walking its graph purely: the runtime's effects are actions, and what they answer, like
// the timers, is fed as events.
import { getShortestPaths } from "@xstate/graph";
import { describe, expect, it } from "vitest";
import { transition } from "xstate";
import { connectionMachine as machine } from "../../../src/machines/connection.machine.js";
import { coded, conn } from "./fixtures.js";
import { activeIds, actorEvents, stateIds } from "./graph.js";

const failure = coded("RESOURCE_EXHAUSTED", "no free address");
const events = [
  // Refreshes that keep the context (unchanged) and that move it (changed).
  { type: "ALLOCATED", connection: conn("c1") },
  { type: "ALLOCATED", connection: conn("c1", "172.16.0.9/32") },
  { type: "ALLOCATION_FAILED", error: failure },
  { type: "PROGRAMMED" },
  { type: "PROGRAMMING_FAILED", error: new Error("back end said no") },
  { type: "UNPROGRAMMED" },
  { type: "UNPROGRAMMING_FAILED", error: new Error("back end said no") },
  ...actorEvents(machine),
  { type: "REQUEST", request: conn("c1"), lifetimeMs: 60_000 },
  { type: "CLOSE" },
  { type: "EXPIRED" },
  { type: "PREFIX_CHANGED" },
  { type: "DATAPLANE_LOST" },
] as never[];

// The context grows (generation) on every request: states are told apart by what guards read.
const serializeState = (s: {
  value: unknown;
  context: { committed?: unknown; refreshRequested?: boolean; healDue?: boolean };
}) =>
  JSON.stringify({
    value: s.value,
    committed: s.context.committed !== undefined,
    refresh: !!s.context.refreshRequested,
    healDue: !!s.context.healDue,
  });

describe("connection machine graph", () => {
  const paths = getShortestPaths(machine, {
    input: { id: "c1", kind: "client", request: conn("c1"), lifetimeMs: 60_000 },
    events,
    serializeState: serializeState as never,
  });
  const reached = new Set(paths.flatMap((p) => activeIds("connection", p.state.value)));

  it.each(stateIds(machine))("reaches %s", (id) => {
    expect(reached).toContain(id);
  });

  it("ends a first request that cannot be served in failed, with the answer's code", () => {
    const failed = paths.filter((p) => p.state.value === "failed");
    expect(failed.length).toBeGreaterThan(0);
    const viaAllocate = failed.find((p) => p.steps.some((s) => s.event.type === "ALLOCATION_FAILED"));
    expect(viaAllocate?.state.context.answer).toMatchObject({
      ok: false,
      code: "RESOURCE_EXHAUSTED",
      generation: 1,
    });
  });

  it("reaches closed from up through closing, by a CLOSE and by the expiry timer", () => {
    const types = (p: (typeof paths)[number]) => p.steps.map((s) => s.event.type as string);
    const closed = paths.filter((p) => p.state.value === "closed").map(types);
    expect(closed.some((t) => t.includes("CLOSE"))).toBe(true);
    const expiry = getShortestPaths(machine, {
      input: { id: "c1", kind: "client", request: conn("c1"), lifetimeMs: 60_000 },
      events: events.filter((e: { type: string }) => e.type !== "CLOSE"),
      serializeState: serializeState as never,
    }).filter((p) => p.state.value === "closed");
    expect(expiry.some((p) => types(p).includes("EXPIRED"))).toBe(true);
  });

  it("heals (does not drop) a prefix change that came while programming, once up", () => {
    const due = paths.find((p) => p.state.matches("programming") && p.state.context.healDue);
    expect(due?.steps.at(-1)?.event.type).toBe("PREFIX_CHANGED");
    const [next] = transition(machine, due!.state, { type: "PROGRAMMED" });
    expect(next.value).toEqual({ healing: "allocating" });
  });

  it("has closed and failed as its only final states", () => {
    for (const p of paths.filter((x) => x.state.status === "done")) {
      expect(["closed", "failed"]).toContain(p.state.value);
    }
  });
});
