// The endpoint supervisor run as an actor (endpoint.harness.ts): start-up, one connection actor per
// id, finished or broken children forgotten, a prefix change passed on, everything drained on STOP.
// Its peer actors are in endpoint-peers.scenarios.test.ts.
import { describe, expect, it } from "vitest";
import { child, ids, request, run } from "./endpoint.harness.js";
import { until } from "./fixtures.js";

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
