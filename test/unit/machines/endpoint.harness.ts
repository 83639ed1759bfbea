// The endpoint machine run as an actor with fake children effects, for the endpoint scenario tests
// (endpoint.scenarios.test.ts, endpoint-peers.scenarios.test.ts): the runtime's ConnectionActors and
// PeerActors hold the children, whose effects answer on the next microtask as the real ones do.
import { type AnyActorRef, createActor, fromPromise } from "xstate";
import { ConnectionActors } from "../../../src/actors/connection-actors.js";
import { PeerActors } from "../../../src/actors/peer-actors.js";
import { connectionMachine } from "../../../src/machines/connection.machine.js";
import { endpointMachine } from "../../../src/machines/endpoint.machine.js";
import { peerMachine } from "../../../src/machines/peer.machine.js";
import { conn } from "./fixtures.js";

/** Answers an effect after a microtask, as the real ones do. */
const later = (self: AnyActorRef, event: { type: string }) =>
  queueMicrotask(() => self.getSnapshot().status === "active" && self.send(event as never));

export function run(start: () => Promise<string> = async () => "172.16.0.0/24") {
  const programmed = new Set<string>();
  const allocations: string[] = [];
  const connection = connectionMachine.provide({
    actions: {
      allocate: ({ self }, input) => {
        if (input.id === "boom") throw new Error("allocate broke");
        allocations.push(input.id);
        later(self, { type: "ALLOCATED", connection: conn(input.id) } as never);
      },
      program: ({ self }, input) => {
        programmed.add(input.id);
        later(self, { type: "PROGRAMMED" });
      },
      unprogram: ({ self }, input) => {
        programmed.delete(input.id);
        later(self, { type: "UNPROGRAMMED" });
      },
    },
  });
  const peer = peerMachine.provide({
    actions: {
      request: ({ self }) => later(self, { type: "REQUESTED", link: conn("link") } as never),
      program: ({ self }) => later(self, { type: "PROGRAMMED" }),
      close: ({ self }) => later(self, { type: "CLOSED" }),
    },
  });
  const ended: Array<{ id: string; error?: unknown }> = [];
  const connections = new ConnectionActors(connection, {
    onEnd: (id, error) => {
      ended.push({ id, error });
      actor.send({ type: "CONNECTION.ENDED", id });
    },
  });
  const peers = new PeerActors(peer, { onEnd: (name) => actor.send({ type: "PEER.ENDED", name }) });
  const machine = endpointMachine.provide({
    actions: { ...connections.actions(), ...peers.actions() },
    actors: { start: fromPromise(start) },
  });
  const actor = createActor(machine, { input: { name: "nse-a", backoff: { initialMs: 1, maxMs: 2 } } });
  actor.start();
  return { actor, connections, peers, programmed, allocations, ended };
}

export type Run = ReturnType<typeof run>;
export const request = (r: Run, id: string) => {
  const ref = r.connections.get(id);
  if (ref) ref.send({ type: "REQUEST", request: conn(id), lifetimeMs: 60_000 });
  else {
    const open = {
      type: "CONNECTION.OPEN",
      id,
      kind: "client",
      request: conn(id),
      lifetimeMs: 60_000,
    } as const;
    r.connections.startedBy(id, () => r.actor.send(open));
  }
};
export const ids = (r: Run) => [...r.connections.values()].map((ref) => ref.id).sort();
export const child = (r: Run, id: string) => r.connections.get(id) as AnyActorRef;
