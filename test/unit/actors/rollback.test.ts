// rollBack on a connection actor with scripted effects: a new connection is closed (its address
// released); a refresh that changed nothing is left alone; one that changed the connection is
// re-requested as the caller last received it, its address released first in the same step.
import { describe, expect, it } from "vitest";
import { createActor } from "xstate";
import { rollBack } from "../../../src/actors/rollback.js";
import { untilDone } from "../../../src/actors/wait.js";
import type { Connection } from "../../../src/grpc/gen/networkservice/connection.js";
import { connectionMachine } from "../../../src/machines/connection.machine.js";
import { conn, connectionEffectsOf, until } from "../machines/fixtures.js";

/** An actor whose allocations answer with `allocations` in turn (the last repeats). */
function actorWith(allocations: Connection[]) {
  const effects = connectionEffectsOf({ allocate: allocations, syncAllocate: true });
  const releases: string[] = [];
  const machine = connectionMachine.provide({
    actions: {
      ...effects.actions,
      releaseAddresses: (_, p) => void releases.push(p.id),
      armExpiry: () => {},
      disarmExpiry: () => {},
    },
  });
  const actor = createActor(machine, {
    input: { id: "c1", kind: "client", request: conn("c1"), lifetimeMs: 60_000 },
  });
  actor.start();
  return { actor, releases, allocate: effects.allocate };
}

describe("rollBack", () => {
  it("closes a new connection: its address is released", async () => {
    const r = actorWith([conn("c1")]);
    await rollBack(r.actor, undefined, 1, () => {});
    await untilDone(r.actor);
    expect(r.actor.getSnapshot().value).toBe("closed");
    expect(r.releases).toEqual(["c1"]);
  });

  it("leaves a refresh that changed nothing as it is", async () => {
    const r = actorWith([conn("c1")]);
    const first = await until(r.actor, (s) => s.matches("up"));
    const before = { connection: first.context.committed!, lifetimeMs: 60_000 };
    r.actor.send({ type: "REQUEST", request: conn("c1"), lifetimeMs: 60_000 });
    const released: string[] = [];
    await rollBack(r.actor, before, 2, (id) => released.push(id));
    expect(released).toEqual([]);
    expect(r.actor.getSnapshot().context.generation).toBe(2);
    expect(r.allocate.calls).toHaveLength(2);
  });

  it("re-requests what the caller last received when the refresh moved its address", async () => {
    const moved = conn("c1", "172.16.0.9/32");
    const r = actorWith([conn("c1"), moved, conn("c1")]);
    const first = await until(r.actor, (s) => s.matches("up"));
    const before = { connection: first.context.committed!, lifetimeMs: 60_000 };
    r.actor.send({ type: "REQUEST", request: conn("c1"), lifetimeMs: 30_000 });
    const released: string[] = [];
    await rollBack(r.actor, before, 2, (id) => {
      // Released in the same step as the restoring request: nobody can take the address between.
      expect(r.allocate.calls).toHaveLength(2);
      released.push(id);
    });
    const s = r.actor.getSnapshot();
    expect(released).toEqual(["c1"]);
    expect(r.allocate.calls[2]!.request).toEqual(before.connection);
    expect(s.matches("up")).toBe(true);
    expect(s.context.committed!.context).toEqual(before.connection.context);
    expect(s.context.lifetimeMs).toBe(60_000);
  });
});
