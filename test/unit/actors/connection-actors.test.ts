// The endpoint's connection actors by id: started after the endpoint's step, ended ones reported and
// dropped, events told to running ones only, and a stop that reports nothing.
import { describe, expect, it } from "vitest";
import { ConnectionActors } from "../../../src/actors/connection-actors.js";
import { connectionMachine } from "../../../src/machines/connection.machine.js";
import { conn, connectionEffectsOf, until } from "../machines/fixtures.js";

// Allocation answers at once, as the runtime's IPAM does.
function actors(allocate = [conn("c1")] as Array<ReturnType<typeof conn> | Error>) {
  const effects = connectionEffectsOf({ allocate, syncAllocate: true });
  const ended: Array<{ id: string; error?: unknown }> = [];
  const started: string[] = [];
  const a = new ConnectionActors(connectionMachine.provide({ actions: effects.actions }), {
    onStart: (ref) => started.push(ref.id),
    onEnd: (id, error) => ended.push({ id, error }),
  });
  const ask = (id: string) => () =>
    a.actions().startConnection(undefined, {
      input: { id, kind: "client", request: conn(id), lifetimeMs: 60_000 },
    });
  return { a, effects, ended, started, ask };
}

describe("ConnectionActors", () => {
  it("starts what the endpoint asked for once its step is over, and returns it", () => {
    const t = actors();
    const ref = t.a.startedBy("c1", t.ask("c1"));
    expect(ref?.id).toBe("connection/c1");
    expect(t.started).toEqual(["connection/c1"]);
    expect(t.a.running("c1")).toBe(ref);
    // Allocated at once; the data plane answers later.
    expect(ref?.getSnapshot().value).toBe("programming");
    t.a.stopAll();
  });

  it("returns nothing when the endpoint asked for nothing", () => {
    const t = actors();
    expect(t.a.startedBy("c1", () => {})).toBeUndefined();
    expect(t.a.size).toBe(0);
  });

  it("starts a start asked for outside startedBy on the next microtask", async () => {
    const t = actors();
    t.ask("c1")();
    expect(t.a.get("c1")).toBeUndefined();
    await Promise.resolve();
    expect(t.a.get("c1")?.id).toBe("connection/c1");
    t.a.stopAll();
  });

  it("returns an actor that ended before startedBy returned, already reported and dropped", () => {
    const t = actors([new Error("no address")]);
    const ref = t.a.startedBy("c1", t.ask("c1"))!;
    expect(ref.getSnapshot().value).toBe("failed");
    expect(t.ended).toEqual([{ id: "c1", error: undefined }]);
    expect(t.a.get("c1")).toBeUndefined();
    const again = t.a.startedBy("c1", t.ask("c1"));
    expect(again).toBeDefined();
    expect(again).not.toBe(ref);
    t.a.stopAll();
  });

  it("reports a start that cannot be made as ended with its error, and throws it to the asker", () => {
    const t = actors();
    t.a.startedBy("c1", t.ask("c1"));
    expect(() => t.a.startedBy("c1", t.ask("c1"))).toThrow(/already has a running actor/);
    expect(t.ended).toEqual([{ id: "c1", error: expect.any(Error) }]);
    expect(t.a.size).toBe(1);
    t.a.stopAll();
  });

  it("starts nothing asked for after stopAll", async () => {
    const t = actors();
    t.ask("c1")();
    t.a.stopAll();
    await Promise.resolve();
    expect(t.a.size).toBe(0);
    expect(t.started).toEqual([]);
  });

  it("tells running actors after the current step, and stops all without reporting them", async () => {
    const t = actors();
    const one = t.a.startedBy("c1", t.ask("c1"))!;
    const two = t.a.startedBy("c2", t.ask("c2"))!;
    await until(two, (s) => s.matches("up"));
    t.a.tell({ type: "CLOSE" });
    expect(one.getSnapshot().value).toBe("up");
    await until(one, (s) => s.status === "done");
    await until(two, (s) => s.status === "done");
    expect(t.ended.map((e) => e.id).sort()).toEqual(["c1", "c2"]);
    const three = t.a.startedBy("c3", t.ask("c3"))!;
    t.a.stopAll();
    expect(three.getSnapshot().status).toBe("stopped");
    expect(t.ended).toHaveLength(2);
    expect(t.a.size).toBe(0);
  });
});
