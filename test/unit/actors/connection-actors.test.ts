// The endpoint's connection actors by id: started after the endpoint's step, ended ones reported and
// dropped, events told to running ones only, and a stop that reports nothing.
import { describe, expect, it } from "vitest";
import { ConnectionActors } from "../../../src/actors/connection-actors.js";
import { connectionMachine } from "../../../src/machines/connection.machine.js";
import { conn, connectionEffectsOf, until } from "../machines/fixtures.js";

function actors(allocate = [conn("c1")] as Array<ReturnType<typeof conn> | Error>) {
  const effects = connectionEffectsOf({ allocate });
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
    expect(ref?.getSnapshot().value).toBe("requesting");
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

  it("reports and drops an actor that ended, and starts the id afresh", async () => {
    const t = actors([new Error("no address")]);
    const ref = t.a.startedBy("c1", t.ask("c1"))!;
    await until(ref, (s) => s.status === "done");
    expect(ref.getSnapshot().value).toBe("failed");
    expect(t.ended).toEqual([{ id: "c1", error: undefined }]);
    expect(t.a.get("c1")).toBeUndefined();
    expect(t.a.startedBy("c1", t.ask("c1"))).not.toBe(ref);
    t.a.stopAll();
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
