// The endpoint supervisor run as an actor with fake children effects: one child per connection id,
// finished children forgotten, events routed, everything drained on STOP.
import { describe, expect, it } from "vitest";
import { type AnyActorRef, createActor, fromCallback, fromPromise } from "xstate";
import { connectionMachine } from "../../../src/machines/connection.machine.js";
import { endpointMachine } from "../../../src/machines/endpoint.machine.js";
import { peerMachine } from "../../../src/machines/peer.machine.js";
import { conn, until } from "./fixtures.js";

function run(start: () => Promise<string> = async () => "172.16.0.0/24") {
  const programmed = new Set<string>();
  const allocations: string[] = [];
  const connection = connectionMachine.provide({
    actors: {
      allocate: fromPromise(async ({ input }) => {
        allocations.push(input.id);
        return conn(input.id);
      }),
      program: fromPromise(async ({ input }) => void programmed.add(input.id)),
      unprogram: fromPromise(async ({ input }) => void programmed.delete(input.id)),
    },
  });
  const peer = peerMachine.provide({
    actors: {
      requestPeer: fromPromise(async () => conn("link")),
      programPeer: fromPromise(async () => {}),
      monitorPeer: fromCallback(() => () => {}),
      closePeer: fromPromise(async () => {}),
    },
  });
  const machine = endpointMachine.provide({ actors: { connection, peer, start: fromPromise(start) } });
  const actor = createActor(machine, { input: { name: "nse-a", backoff: { initialMs: 1, maxMs: 2 } } });
  actor.start();
  return { actor, programmed, allocations };
}

type Endpoint = ReturnType<typeof run>["actor"];
const request = (a: Endpoint, id: string) =>
  a.send({ type: "CONNECTION.REQUEST", id, kind: "client", request: conn(id), lifetimeMs: 60_000 });
const children = (a: Endpoint) => Object.keys(a.getSnapshot().children).sort();
const child = (a: Endpoint, id: string) => a.getSnapshot().context.connections[id] as AnyActorRef;

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

  it("spawns one child per connection id and routes a repeated id to it", async () => {
    const r = run();
    await until(r.actor, (x) => x.matches("serving"));
    request(r.actor, "a");
    request(r.actor, "b");
    await until(child(r.actor, "a"), (x) => x.matches("up"));
    request(r.actor, "a");
    await until(child(r.actor, "a"), (x) => x.context.answer?.generation === 2);
    expect(children(r.actor)).toEqual(["connection/a", "connection/b"]);
    expect(r.allocations.filter((id) => id === "a")).toHaveLength(2);
    r.actor.stop();
  });

  it("forgets a child that finished (closed or failed), so the id can start afresh", async () => {
    const r = run();
    await until(r.actor, (x) => x.matches("serving"));
    request(r.actor, "a");
    const first = child(r.actor, "a");
    await until(first, (x) => x.matches("up"));
    r.actor.send({ type: "CONNECTION.CLOSE", id: "a" });
    await until(r.actor, (x) => x.context.connections.a === undefined);
    expect(children(r.actor)).toEqual([]);
    expect(r.programmed.has("a")).toBe(false);
    request(r.actor, "a");
    expect(child(r.actor, "a")).not.toBe(first);
    r.actor.stop();
  });

  it("takes ids that are also names of Object.prototype members as connection ids", async () => {
    const r = run();
    await until(r.actor, (x) => x.matches("serving"));
    for (const id of ["constructor", "toString", "__proto__"]) request(r.actor, id);
    expect(children(r.actor)).toEqual([
      "connection/__proto__",
      "connection/constructor",
      "connection/toString",
    ]);
    await until(child(r.actor, "constructor"), (x) => x.matches("up"));
    r.actor.send({ type: "CONNECTION.CLOSE", id: "constructor" });
    await until(r.actor, (x) => x.context.connections.constructor === undefined);
    expect(children(r.actor)).toEqual(["connection/__proto__", "connection/toString"]);
    r.actor.stop();
  });

  it("ignores a CLOSE of an unknown id", async () => {
    const r = run();
    await until(r.actor, (x) => x.matches("serving"));
    r.actor.send({ type: "CONNECTION.CLOSE", id: "nobody" });
    expect(r.actor.getSnapshot().value).toBe("serving");
    r.actor.stop();
  });

  it("spawns one peer child per name; a repeated PEER.FOUND updates its URL", async () => {
    const r = run();
    await until(r.actor, (x) => x.matches("serving"));
    r.actor.send({ type: "PEER.FOUND", name: "nse-b", url: "tcp://127.0.0.1:1", role: "accept" });
    r.actor.send({ type: "PEER.FOUND", name: "nse-b", url: "tcp://127.0.0.1:2", role: "accept" });
    const peer = r.actor.getSnapshot().context.peers["nse-b"]!;
    expect(children(r.actor)).toEqual(["peer/nse-b"]);
    expect(peer.getSnapshot().context.url).toBe("tcp://127.0.0.1:2");
    r.actor.send({ type: "PEER.LINK", name: "nse-b", up: true });
    expect(peer.getSnapshot().matches("up")).toBe(true);
    r.actor.send({ type: "PEER.LOST", name: "nse-b" });
    await until(r.actor, (x) => x.context.peers["nse-b"] === undefined);
    r.actor.stop();
  });

  it("tells every connection about a prefix change", async () => {
    const r = run();
    await until(r.actor, (x) => x.matches("serving"));
    request(r.actor, "a");
    request(r.actor, "b");
    await until(child(r.actor, "b"), (x) => x.matches("up"));
    await until(child(r.actor, "a"), (x) => x.matches("up"));
    r.actor.send({ type: "PREFIX.CHANGED", prefix: "172.16.1.0/24" });
    expect(r.actor.getSnapshot().context.prefix).toBe("172.16.1.0/24");
    // Each child heals: allocates again (in the new prefix) and comes back up.
    const allocated = (id: string) => r.allocations.filter((v) => v === id).length;
    for (const id of ["a", "b"])
      await until(child(r.actor, id), (x) => x.matches("up") && allocated(id) === 2);
    r.actor.stop();
  });

  it("drains on STOP: closes every child, takes nothing new, then stops", async () => {
    const r = run();
    await until(r.actor, (x) => x.matches("serving"));
    for (const id of ["a", "b", "c"]) request(r.actor, id);
    r.actor.send({ type: "PEER.FOUND", name: "nse-b", url: "tcp://127.0.0.1:1", role: "dial" });
    await until(child(r.actor, "c"), (x) => x.matches("up"));
    r.actor.send({ type: "STOP" });
    expect(r.actor.getSnapshot().value).toBe("draining");
    request(r.actor, "d");
    expect(r.actor.getSnapshot().context.connections.d).toBeUndefined();
    const s = await until(r.actor, (x) => x.status === "done");
    expect(s.value).toBe("stopped");
    expect(r.programmed.size).toBe(0);
    expect(Object.keys(s.context.connections)).toEqual([]);
    expect(Object.keys(s.context.peers)).toEqual([]);
  });
});
