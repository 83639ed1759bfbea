// Every state of the endpoint supervisor is reachable, walking its graph purely: the connection and
// peer actors it starts are runtime actions, and their ends are fed as the events the runtime sends.
import { getShortestPaths } from "@xstate/graph";
import { describe, expect, it } from "vitest";
import { fromPromise, transition } from "xstate";
import { endpointMachine } from "../../../src/machines/endpoint.machine.js";
import { conn } from "./fixtures.js";
import { activeIds, actorEvents, stateIds } from "./graph.js";

const machine = endpointMachine.provide({ actors: { start: fromPromise(async () => "172.16.0.0/24") } });

const events = [
  ...actorEvents(machine, { outputs: { start: ["172.16.0.0/24"] } }),
  { type: "CONNECTION.OPEN", id: "c1", kind: "client", request: conn("c1"), lifetimeMs: 60_000 },
  { type: "CONNECTION.ENDED", id: "c1" },
  { type: "PEER.FOUND", name: "nse-b", url: "tcp://127.0.0.1:5998", role: "dial" },
  { type: "PEER.LOST", name: "nse-b" },
  { type: "PEER.ENDED", name: "nse-b" },
  { type: "PREFIX.CHANGED", prefix: "172.16.1.0/24" },
  { type: "DATAPLANE.LOST" },
  { type: "STOP" },
] as never[];

const serializeState = (s: {
  value: unknown;
  context: { connections: number; peers: string[]; prefix?: string };
}) =>
  JSON.stringify({
    value: s.value,
    // Two open connections stand for any number: the walk stays finite.
    connections: Math.min(s.context.connections, 2),
    peers: s.context.peers,
    prefix: s.context.prefix,
  });

describe("endpoint machine graph", () => {
  const paths = getShortestPaths(machine, {
    input: { name: "nse-a", backoff: { initialMs: 100, maxMs: 1000 } },
    events,
    serializeState: serializeState as never,
  });
  const reached = new Set(paths.flatMap((p) => activeIds("endpoint", p.state.value)));

  it.each(stateIds(machine))("reaches %s", (id) => {
    expect(reached).toContain(id);
  });

  it("drains (does not stop at once) while it has children, and stops at once without", () => {
    const stopped = paths.filter((p) => p.steps.at(-1)?.event.type === "STOP");
    const withChildren = stopped.filter((p) => p.state.context.connections > 0);
    const without = stopped.filter((p) => p.state.context.connections + p.state.context.peers.length === 0);
    expect(withChildren.every((p) => p.state.value === "draining")).toBe(true);
    expect(without.every((p) => p.state.value === "stopped")).toBe(true);
    expect(withChildren.length).toBeGreaterThan(0);
  });

  it("counts connection actors in as it opens them and out as they end; names one peer per name", () => {
    const counts = new Set(paths.map((p) => p.state.context.connections));
    expect(counts).toEqual(new Set([0, 1, 2]));
    const busiest = paths.find((p) => p.state.context.connections > 0 && p.state.context.peers.length > 0);
    expect(busiest!.state.context.peers).toEqual(["nse-b"]);
    expect(Object.keys(busiest!.state.children)).toEqual([]);
  });

  it("starts a peer actor for a new name only, tells a known one, and forgets it when it ended", () => {
    const found = {
      type: "PEER.FOUND",
      name: "nse-b",
      url: "tcp://127.0.0.1:5998",
      role: "dial",
    } as const;
    let started = 0;
    let told = 0;
    for (const p of paths) {
      if (!p.state.matches("serving")) continue;
      const known = p.state.context.peers.includes("nse-b");
      const [next, actions] = transition(machine, p.state, found);
      const types = actions.map((a) => a.type);
      expect(types.includes("startPeer")).toBe(!known);
      expect(types.includes("tellPeer")).toBe(known);
      expect(next.context.peers).toEqual(["nse-b"]);
      const [ended] = transition(machine, next, { type: "PEER.ENDED", name: "nse-b" });
      expect(ended.context.peers).toEqual([]);
      if (known) told++;
      else started++;
    }
    expect(started).toBeGreaterThan(0);
    expect(told).toBeGreaterThan(0);
  });

  it("opens a connection only while serving", () => {
    const open = {
      type: "CONNECTION.OPEN",
      id: "c9",
      kind: "client",
      request: conn("c9"),
      lifetimeMs: 1,
    } as const;
    const values = new Set<string>();
    for (const p of paths) {
      if (p.state.status !== "active") continue;
      const [next, actions] = transition(machine, p.state, open);
      const started = actions.some((a) => a.type === "startConnection");
      const serving = p.state.matches("serving");
      expect(started).toBe(serving);
      expect(next.context.connections).toBe(p.state.context.connections + (serving ? 1 : 0));
      values.add(JSON.stringify(p.state.value));
    }
    expect(values).toEqual(new Set(['"starting"', '"serving"', '"draining"']));
  });

  it("keeps the prefix it started with and the one it changed to", () => {
    const prefixes = new Set(paths.map((p) => p.state.context.prefix));
    expect(prefixes).toEqual(new Set([undefined, "172.16.0.0/24", "172.16.1.0/24"]));
  });
});
