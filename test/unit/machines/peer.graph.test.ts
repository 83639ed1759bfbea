// Every state of the peer machine is reachable, for the dialling side and the accepting side.
import { getShortestPaths } from "@xstate/graph";
import { describe, expect, it } from "vitest";
import { transition } from "xstate";
import { backoffMs, type PeerRole, peerMachine } from "../../../src/machines/peer.machine.js";
import { conn } from "./fixtures.js";
import { activeIds, actorEvents, stateIds } from "./graph.js";

// The effects are actions answered by events: a pure walk sends every answer, in every state.
const machine = peerMachine;

const events = [
  ...actorEvents(machine),
  { type: "REQUESTED", link: conn("link-1") },
  { type: "REQUEST_FAILED", error: new Error("fake failure") },
  { type: "PROGRAMMED" },
  { type: "PROGRAMMING_FAILED", error: new Error("fake failure") },
  { type: "CLOSED" },
  { type: "CLOSE_FAILED", error: new Error("fake failure") },
  { type: "REFRESH_REQUESTED" },
  { type: "LINK_UP" },
  { type: "LINK_DOWN", reason: "stream broke" },
  { type: "PEER_GONE" },
  { type: "PREFIX_CHANGED" },
  { type: "PEER_FOUND", url: "tcp://127.0.0.1:5999" },
] as never[];

const serializeState = (s: { value: unknown; context: { attempt: number; url: string } }) =>
  JSON.stringify({ value: s.value, failing: s.context.attempt > 0 });

function walk(role: PeerRole) {
  return getShortestPaths(machine, {
    input: { name: "nse-b", url: "tcp://127.0.0.1:5998", role, backoff: { initialMs: 100, maxMs: 1000 } },
    events,
    serializeState: serializeState as never,
  });
}

describe("peer machine graph", () => {
  const dial = walk("dial");
  const accept = walk("accept");
  const reached = new Set([...dial, ...accept].flatMap((p) => activeIds("peer", p.state.value)));

  // "starting" is transient (always): it is left in the same step it is entered.
  it.each(stateIds(machine).filter((id) => id !== "peer.starting"))("reaches %s", (id) => {
    expect(reached).toContain(id);
  });

  it("never dials from the accepting side, nor watches the link (the peer's connection is the link)", () => {
    const ids = new Set(accept.flatMap((p) => activeIds("peer", p.state.value)));
    expect(ids).toEqual(
      new Set(["peer.accepting", "peer.up", "peer.up.linked", "peer.closing", "peer.closed"]),
    );
  });

  it("heals the dialling side by backoff, back to requesting", () => {
    // A walk keeps one representative snapshot per state: the count is at least the first failure.
    const healing = dial.find((p) => p.state.value === "healing");
    expect(healing?.state.context.attempt).toBeGreaterThanOrEqual(1);
    const types = dial.flatMap((p) => p.steps.map((s) => s.event.type));
    expect(types).toContain("xstate.after.backoff.peer.healing");
  });

  it("withdraws a dialled link's routes when its monitor reports it down, whatever it was doing", () => {
    // From every state the walk reached: which LINK_DOWN runs the runtime's `withdraw`.
    const withdrawsIn = (paths: typeof dial) =>
      paths.flatMap((p) => {
        const [, actions] = transition(machine, p.state as never, { type: "LINK_DOWN", reason: "x" });
        return actions.some((a) => a.type === "withdraw") ? [JSON.stringify(p.state.value)] : [];
      });
    const up = ["watching", "refreshing", "reprogramming"].map((s) => JSON.stringify({ up: s }));
    expect(new Set(withdrawsIn(dial))).toEqual(new Set(up));
    // The accepting side's routes belong to the peer's connection, which its own actor withdraws.
    expect(withdrawsIn(accept)).toEqual([]);
  });

  it("withdraws a dialled link's routes when its refresh fails", () => {
    const refreshing = dial.find(
      (p) => JSON.stringify(p.state.value) === JSON.stringify({ up: "refreshing" }),
    );
    expect(refreshing).toBeDefined();
    const failed = { type: "REQUEST_FAILED", error: new Error("x") };
    const [next, actions] = transition(machine, refreshing!.state as never, failed as never);
    expect(next.value).toBe("healing");
    expect(actions.map((a) => a.type)).toContain("withdraw");
  });

  it("grows the backoff exponentially up to the maximum", () => {
    const b = { initialMs: 100, maxMs: 1000 };
    expect([0, 1, 2, 3, 4, 5, 10].map((a) => backoffMs(a, b))).toEqual([100, 100, 200, 400, 800, 1000, 1000]);
  });
});
