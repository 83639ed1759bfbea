// The endpoint supervisor run as an actor with fake children effects: one connection actor per id
// and one peer actor per name (held by the runtime's ConnectionActors and PeerActors), finished
// children forgotten, everything drained on STOP.
import { describe, expect, it } from "vitest";
import { type AnyActorRef, createActor, fromPromise } from "xstate";
import { ConnectionActors } from "../../../src/actors/connection-actors.js";
import { PeerActors } from "../../../src/actors/peer-actors.js";
import { connectionMachine } from "../../../src/machines/connection.machine.js";
import { endpointMachine } from "../../../src/machines/endpoint.machine.js";
import { peerMachine } from "../../../src/machines/peer.machine.js";
import { conn, until } from "./fixtures.js";

/** Answers an effect after a microtask, as the real ones do. */
const later = (self: AnyActorRef, event: { type: string }) =>
  queueMicrotask(() => self.getSnapshot().status === "active" && self.send(event as never));

function run(start: () => Promise<string> = async () => "172.16.0.0/24") {
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

type Run = ReturnType<typeof run>;
const request = (r: Run, id: string) => {
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
const ids = (r: Run) => [...r.connections.values()].map((ref) => ref.id).sort();
const child = (r: Run, id: string) => r.connections.get(id) as AnyActorRef;

describe("endpoint machine", () => {
  it("serves once the start-up work resolves, with the prefix", async () => {
    const r = run();
    const s = await until(r.actor, (x) => x.matches("serving"));
    expect(s.context.prefix).toBe("172.16.0.0/24");
    r.actor.stop();
  });

  it("stops with the error when the start-up work fails", async () => {
    const r = run(async () => {
      throw new Error("no prefix");
    });
    const s = await until(r.actor, (x) => x.status === "done");
    expect(s.value).toBe("stopped");
    expect(s.context.lastError).toBe("no prefix");
  });

  it("starts one connection actor per id and counts it", async () => {
    const r = run();
    await until(r.actor, (x) => x.matches("serving"));
    request(r, "a");
    request(r, "b");
    await until(child(r, "a"), (x) => x.matches("up"));
    request(r, "a");
    await until(child(r, "a"), (x) => x.context.answer?.generation === 2);
    expect(ids(r)).toEqual(["connection/a", "connection/b"]);
    expect(r.actor.getSnapshot().context.connections).toBe(2);
    expect(r.allocations.filter((id) => id === "a")).toHaveLength(2);
    r.actor.stop();
  });

  it("forgets a child that finished (closed or failed), so the id can start afresh", async () => {
    const r = run();
    await until(r.actor, (x) => x.matches("serving"));
    request(r, "a");
    const first = child(r, "a");
    await until(first, (x) => x.matches("up"));
    first.send({ type: "CLOSE" });
    await until(r.actor, (x) => x.context.connections === 0);
    expect(ids(r)).toEqual([]);
    expect(r.programmed.has("a")).toBe(false);
    request(r, "a");
    expect(child(r, "a")).not.toBe(first);
    r.actor.stop();
  });

  it("takes ids that are also names of Object.prototype members as connection ids", async () => {
    const r = run();
    await until(r.actor, (x) => x.matches("serving"));
    for (const id of ["constructor", "toString", "__proto__"]) request(r, id);
    expect(ids(r)).toEqual(["connection/__proto__", "connection/constructor", "connection/toString"]);
    await until(child(r, "constructor"), (x) => x.matches("up"));
    child(r, "constructor").send({ type: "CLOSE" });
    await until(r.actor, (x) => x.context.connections === 2);
    expect(ids(r)).toEqual(["connection/__proto__", "connection/toString"]);
    r.actor.stop();
  });

  it("forgets a connection actor that broke (an effect threw), and counts it out", async () => {
    const r = run();
    await until(r.actor, (x) => x.matches("serving"));
    request(r, "a");
    request(r, "boom");
    expect(r.ended).toEqual([{ id: "boom", error: new Error("allocate broke") }]);
    expect(ids(r)).toEqual(["connection/a"]);
    expect(r.actor.getSnapshot().context.connections).toBe(1);
    expect(r.actor.getSnapshot().value).toBe("serving");
    // The id can be asked for again (and breaks again): the count does not drift.
    request(r, "boom");
    expect(r.ended.map((e) => e.id)).toEqual(["boom", "boom"]);
    expect(r.actor.getSnapshot().context.connections).toBe(1);
    r.actor.stop();
  });

  it("starts one peer actor per name; a repeated PEER.FOUND updates its URL", async () => {
    const r = run();
    await until(r.actor, (x) => x.matches("serving"));
    const send = (event: Parameters<typeof r.actor.send>[0]) => r.peers.after(() => r.actor.send(event));
    send({ type: "PEER.FOUND", name: "nse-b", url: "tcp://127.0.0.1:1", role: "accept" });
    send({ type: "PEER.FOUND", name: "nse-b", url: "tcp://127.0.0.1:2", role: "accept" });
    const peer = r.peers.get("nse-b")!;
    expect([...r.peers.values()].map((ref) => ref.id)).toEqual(["peer/nse-b"]);
    expect(r.actor.getSnapshot().context.peers).toEqual(["nse-b"]);
    expect(Object.keys(r.actor.getSnapshot().children)).toEqual([]);
    expect(peer.getSnapshot().context.url).toBe("tcp://127.0.0.1:2");
    send({ type: "PEER.LINK", name: "nse-b", up: true });
    expect(peer.getSnapshot().matches("up")).toBe(true);
    send({ type: "PEER.LOST", name: "nse-b" });
    await until(r.actor, (x) => !x.context.peers.includes("nse-b"));
    expect(r.peers.size).toBe(0);
    r.actor.stop();
  });

  it("carries out a peer start asked for outside `after` on the next microtask", async () => {
    const r = run();
    await until(r.actor, (x) => x.matches("serving"));
    r.actor.send({ type: "PEER.FOUND", name: "nse-b", url: "tcp://127.0.0.1:1", role: "accept" });
    r.actor.send({ type: "PEER.LINK", name: "nse-b", up: true });
    expect(r.peers.get("nse-b")).toBeUndefined();
    await Promise.resolve();
    // Started, then told: in the order the machine asked.
    expect(r.peers.get("nse-b")?.getSnapshot().matches("up")).toBe(true);
    r.actor.stop();
    r.peers.stopAll();
  });

  it("keeps a peer found again while its link was still closing (a registry restart's gone-then-back)", async () => {
    const r = run();
    await until(r.actor, (x) => x.matches("serving"));
    const send = (event: Parameters<typeof r.actor.send>[0]) => r.peers.after(() => r.actor.send(event));
    send({ type: "PEER.FOUND", name: "nse-b", url: "tcp://127.0.0.1:1", role: "dial" });
    const first = r.peers.get("nse-b")!;
    await until(first, (x) => x.matches("up"));
    send({ type: "PEER.LOST", name: "nse-b" });
    expect(first.getSnapshot().value).toBe("closing");
    // The watch says it is back before the close finished: the watch will not say so again.
    send({ type: "PEER.FOUND", name: "nse-b", url: "tcp://127.0.0.1:2", role: "dial" });
    await until(first, (x) => x.matches("up") && x.context.url === "tcp://127.0.0.1:2");
    expect(r.peers.get("nse-b")).toBe(first);
    expect(r.actor.getSnapshot().context.peers).toEqual(["nse-b"]);
    r.actor.stop();
    r.peers.stopAll();
  });

  it("tells every peer about a prefix change and a lost data plane", async () => {
    const r = run();
    await until(r.actor, (x) => x.matches("serving"));
    const send = (event: Parameters<typeof r.actor.send>[0]) => r.peers.after(() => r.actor.send(event));
    send({ type: "PEER.FOUND", name: "nse-b", url: "tcp://127.0.0.1:1", role: "accept" });
    send({ type: "PEER.FOUND", name: "nse-c", url: "tcp://127.0.0.1:2", role: "accept" });
    send({ type: "PEER.LINK", name: "nse-b", up: true });
    send({ type: "PEER.LINK", name: "nse-c", up: true });
    send({ type: "DATAPLANE.LOST" });
    expect([...r.peers.values()].map((ref) => ref.getSnapshot().value)).toEqual(["accepting", "accepting"]);
    r.actor.stop();
    r.peers.stopAll();
  });

  it("tells every connection about a prefix change", async () => {
    const r = run();
    await until(r.actor, (x) => x.matches("serving"));
    request(r, "a");
    request(r, "b");
    await until(child(r, "b"), (x) => x.matches("up"));
    await until(child(r, "a"), (x) => x.matches("up"));
    r.actor.send({ type: "PREFIX.CHANGED", prefix: "172.16.1.0/24" });
    expect(r.actor.getSnapshot().context.prefix).toBe("172.16.1.0/24");
    // Each child heals: allocates again (in the new prefix) and comes back up.
    const allocated = (id: string) => r.allocations.filter((v) => v === id).length;
    for (const id of ["a", "b"]) await until(child(r, id), (x) => x.matches("up") && allocated(id) === 2);
    r.actor.stop();
  });

  it("drains on STOP: closes every child, takes nothing new, then stops", async () => {
    const r = run();
    await until(r.actor, (x) => x.matches("serving"));
    for (const id of ["a", "b", "c"]) request(r, id);
    r.peers.after(() =>
      r.actor.send({ type: "PEER.FOUND", name: "nse-b", url: "tcp://127.0.0.1:1", role: "dial" }),
    );
    expect(r.peers.size).toBe(1);
    await until(child(r, "c"), (x) => x.matches("up"));
    r.actor.send({ type: "STOP" });
    expect(r.actor.getSnapshot().value).toBe("draining");
    request(r, "d");
    expect(r.connections.get("d")).toBeUndefined();
    const s = await until(r.actor, (x) => x.status === "done");
    expect(s.value).toBe("stopped");
    expect(r.programmed.size).toBe(0);
    expect(s.context.connections).toBe(0);
    expect(r.connections.size).toBe(0);
    expect(s.context.peers).toEqual([]);
    expect(r.peers.size).toBe(0);
  });
});
