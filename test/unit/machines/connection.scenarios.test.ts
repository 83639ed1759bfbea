// The connection machine run as an actor with scripted effects: what each path does to the answer,
// the data plane (program/unprogram calls) and the monitor (notify actions).
import { describe, expect, it } from "vitest";
import { createActor } from "xstate";
import { ExpiryTimers } from "../../../src/actors/expiry.js";
import type { Connection } from "../../../src/grpc/gen/networkservice/connection.js";
import { connectionMachine } from "../../../src/machines/connection.machine.js";
import { coded, conn, connectionEffectsOf, until } from "./fixtures.js";

interface Script {
  allocate?: Array<Connection | Error>;
  program?: Array<undefined | Error>;
  lifetimeMs?: number;
}

function run(s: Script = {}) {
  const effects = connectionEffectsOf(s);
  const updates: Array<{ connection: Connection; refreshRequested: boolean }> = [];
  const deletes: Connection[] = [];
  const releases: string[] = [];
  const expiry = new ExpiryTimers();
  const machine = connectionMachine.provide({
    actions: {
      ...effects.actions,
      notifyUpdate: (_, p) => void updates.push(p),
      notifyDelete: (_, p) => void deletes.push(p.connection),
      releaseAddresses: (_, p) => void releases.push(p.id),
      // The runtime's expiry timer (src/actors/connection-effects.ts), sending EXPIRED.
      armExpiry: ({ context, self }, p) => expiry.arm(context.id, p.ms, self),
      disarmExpiry: ({ context }) => expiry.disarm(context.id),
    },
    delays: { healRetry: 1 },
  });
  const actor = createActor(machine, {
    input: { id: "c1", kind: "client", request: conn("c1"), lifetimeMs: s.lifetimeMs ?? 60_000 },
  });
  actor.start();
  const { allocate, program, unprogram } = effects;
  return { actor, allocate, program, unprogram, updates, deletes, releases };
}

const settled = (a: ReturnType<typeof run>["actor"], value: string) =>
  until(a, (s) => s.matches(value as never));

describe("connection machine", () => {
  it("answers a first request ok and is up, programmed once, announced once", async () => {
    const r = run();
    const s = await settled(r.actor, "up");
    expect(s.context.answer).toEqual({ generation: 1, ok: true });
    expect(s.context.committed).toEqual(conn("c1"));
    expect(r.program.calls).toEqual([{ id: "c1", kind: "client", connection: conn("c1") }]);
    expect(r.updates).toEqual([{ connection: conn("c1"), refreshRequested: false }]);
    r.actor.stop();
  });

  it("fails a first request whose allocation fails, with the error's code, and releases", async () => {
    const r = run({ allocate: [coded("RESOURCE_EXHAUSTED", "no free address")] });
    const s = await until(r.actor, (x) => x.status === "done");
    expect(s.value).toBe("failed");
    expect(s.context.answer).toEqual({
      generation: 1,
      ok: false,
      code: "RESOURCE_EXHAUSTED",
      message: "no free address",
    });
    expect(r.program.calls).toHaveLength(0);
    expect(r.releases).toEqual(["c1"]);
    expect(r.deletes).toHaveLength(0);
  });

  it("fails a first request whose programming fails (INTERNAL for an uncoded error)", async () => {
    const r = run({ program: [new Error("back end said no")] });
    const s = await until(r.actor, (x) => x.status === "done");
    expect(s.value).toBe("failed");
    expect(s.context.answer).toMatchObject({ ok: false, code: "INTERNAL", message: "back end said no" });
    expect(r.releases).toEqual(["c1"]);
    expect(r.updates).toHaveLength(0);
  });

  it("answers an unchanged refresh without programming again", async () => {
    const r = run();
    await settled(r.actor, "up");
    r.actor.send({ type: "REQUEST", request: conn("c1"), lifetimeMs: 60_000 });
    const s = await until(r.actor, (x) => x.matches("up") && x.context.answer?.generation === 2);
    expect(s.context.answer).toEqual({ generation: 2, ok: true });
    expect(r.allocate.calls).toHaveLength(2);
    expect(r.allocate.calls[1]?.committed).toEqual(conn("c1"));
    expect(r.program.calls).toHaveLength(1);
  });

  it("programs a refresh whose context changed, and commits the new one", async () => {
    const moved = conn("c1", "172.16.0.7/32");
    const r = run({ allocate: [conn("c1"), moved] });
    await settled(r.actor, "up");
    r.actor.send({ type: "REQUEST", request: conn("c1"), lifetimeMs: 60_000 });
    const s = await until(r.actor, (x) => x.matches("up") && x.context.answer?.generation === 2);
    expect(r.program.calls.map((c) => c.connection)).toEqual([conn("c1"), moved]);
    expect(s.context.committed).toEqual(moved);
    expect(r.updates.at(-1)).toEqual({ connection: moved, refreshRequested: false });
  });

  it("keeps the connection up when a refresh cannot be served, and answers the error", async () => {
    const r = run({ allocate: [conn("c1"), coded("INVALID_ARGUMENT", "bad")] });
    await settled(r.actor, "up");
    r.actor.send({ type: "REQUEST", request: conn("c1"), lifetimeMs: 60_000 });
    const s = await until(r.actor, (x) => x.context.answer?.generation === 2);
    expect(s.value).toBe("up");
    expect(s.context.answer).toMatchObject({ ok: false, code: "INVALID_ARGUMENT" });
    expect(s.context.committed).toEqual(conn("c1"));
  });

  it("closes a connection whose refresh could not be programmed", async () => {
    const r = run({
      allocate: [conn("c1"), conn("c1", "172.16.0.7/32")],
      program: [undefined, new Error("gone")],
    });
    await settled(r.actor, "up");
    r.actor.send({ type: "REQUEST", request: conn("c1"), lifetimeMs: 60_000 });
    const s = await until(r.actor, (x) => x.status === "done");
    expect(s.value).toBe("closed");
    expect(s.context.answer).toMatchObject({ generation: 2, ok: false, message: "gone" });
    expect(r.unprogram.calls).toHaveLength(1);
    expect(r.deletes).toHaveLength(1);
  });

  it("closes itself when no refresh comes before the expiry", async () => {
    const r = run({ lifetimeMs: 20 });
    const s = await until(r.actor, (x) => x.status === "done");
    expect(s.value).toBe("closed");
    expect(r.unprogram.calls).toEqual([{ id: "c1", kind: "client" }]);
    expect(r.releases).toEqual(["c1"]);
    expect(r.deletes).toEqual([conn("c1")]);
  });

  it("closes on CLOSE: unprograms, releases and announces the delete", async () => {
    const r = run();
    await settled(r.actor, "up");
    r.actor.send({ type: "CLOSE" });
    const s = await until(r.actor, (x) => x.status === "done");
    expect(s.value).toBe("closed");
    expect(r.unprogram.calls).toHaveLength(1);
    expect(r.releases).toEqual(["c1"]);
    expect(r.deletes).toEqual([conn("c1")]);
  });

  it("closes on CLOSE while the first request is still being worked on", async () => {
    const r = run();
    r.actor.send({ type: "CLOSE" });
    const s = await until(r.actor, (x) => x.status === "done");
    expect(s.value).toBe("closed");
    expect(r.updates).toHaveLength(0);
  });

  it("heals on PREFIX_CHANGED and tells the NSC to refresh (REFRESH_REQUESTED), once", async () => {
    const healed = conn("c1", "172.16.1.2/32");
    const r = run({ allocate: [conn("c1"), healed] });
    await settled(r.actor, "up");
    r.actor.send({ type: "PREFIX_CHANGED" });
    await until(r.actor, (x) => x.matches("up") && x.context.committed === healed);
    expect(r.updates).toEqual([
      { connection: conn("c1"), refreshRequested: false },
      { connection: healed, refreshRequested: true },
    ]);
    expect(r.program.calls.map((c) => c.connection)).toEqual([conn("c1"), healed]);
    // Once: the NSC's refresh that follows is answered and announced UP.
    r.actor.send({ type: "REQUEST", request: healed, lifetimeMs: 60_000 });
    await until(r.actor, () => r.updates.length === 3);
    expect(r.updates[2]).toEqual({ connection: healed, refreshRequested: false });
  });

  it("heals once up when the prefix changed while the first request was being programmed", async () => {
    const healed = conn("c1", "172.16.1.2/32");
    const r = run({ allocate: [conn("c1"), healed] });
    await settled(r.actor, "programming");
    r.actor.send({ type: "PREFIX_CHANGED" });
    const s = await until(r.actor, (x) => x.matches("up") && x.context.committed === healed);
    expect(s.context.answer).toMatchObject({ generation: 1, ok: true });
    expect(r.updates).toEqual([
      { connection: conn("c1"), refreshRequested: false },
      { connection: healed, refreshRequested: true },
    ]);
    expect(s.context.healDue).toBe(false);
  });

  it("retries healing while programming fails, then comes up", async () => {
    const r = run({ program: [undefined, new Error("flaky"), new Error("flaky"), undefined] });
    await settled(r.actor, "up");
    r.actor.send({ type: "DATAPLANE_LOST" });
    await until(r.actor, (x) => x.matches("up") && r.program.calls.length === 4);
    expect(r.actor.getSnapshot().context.lastError).toBe("flaky");
    expect(r.updates.at(-1)?.refreshRequested).toBe(true);
  });

  it("closes when healing cannot allocate", async () => {
    const r = run({ allocate: [conn("c1"), coded("RESOURCE_EXHAUSTED", "full")] });
    await settled(r.actor, "up");
    r.actor.send({ type: "PREFIX_CHANGED" });
    const s = await until(r.actor, (x) => x.status === "done");
    expect(s.value).toBe("closed");
    expect(s.context.lastError).toBe("full");
  });
});
