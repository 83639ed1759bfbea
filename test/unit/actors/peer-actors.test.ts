// The endpoint's peer actors by name: started and told in the order the endpoint machine asked, once
// its step is over; finished ones reported and dropped; broken ones reported with their error; a stop
// that reports nothing.
import { describe, expect, it } from "vitest";
import type { AnyActorRef } from "xstate";
import { PeerActors } from "../../../src/actors/peer-actors.js";
import { type PeerEvent, type PeerInput, peerMachine } from "../../../src/machines/peer.machine.js";
import { conn, until } from "../machines/fixtures.js";

function actors() {
  // The effects answer after a microtask, as the real ones do.
  const later = (self: AnyActorRef, event: PeerEvent) =>
    queueMicrotask(() => self.getSnapshot().status === "active" && self.send(event));
  const logic = peerMachine.provide({
    actions: {
      request: ({ self }) => later(self, { type: "REQUESTED", link: conn("link") }),
      program: ({ self }) => later(self, { type: "PROGRAMMED" }),
      close: ({ self }) => later(self, { type: "CLOSED" }),
    },
  });
  const ended: Array<{ name: string; error?: unknown }> = [];
  const started: string[] = [];
  const gone: string[] = [];
  const a = new PeerActors(logic, {
    onStart: (ref) => started.push(ref.id),
    onGone: (ref) => gone.push(ref.id),
    onEnd: (name, error) => ended.push({ name, error }),
  });
  const input = (name: string, role: PeerInput["role"] = "accept"): PeerInput => ({
    name,
    url: "tcp://127.0.0.1:1",
    role,
    backoff: { initialMs: 1, maxMs: 2 },
  });
  return { a, actions: a.actions(), ended, started, gone, input };
}

describe("PeerActors", () => {
  it("starts and tells what the endpoint asked for, in order, before `after` returns", () => {
    const t = actors();
    t.a.after(() => {
      t.actions.startPeer(undefined, { input: t.input("nse-b") });
      t.actions.tellPeer(undefined, { name: "nse-b", event: { type: "LINK_UP" } });
      expect(t.a.size).toBe(0);
    });
    expect(t.started).toEqual(["peer/nse-b"]);
    expect(t.a.get("nse-b")?.getSnapshot().matches("up")).toBe(true);
    t.a.stopAll();
  });

  it("carries out orders given while it carries out others after those, in order", () => {
    const t = actors();
    const seen: string[] = [];
    const a = new PeerActors(peerMachine.provide({}), {
      onStart: (ref) => {
        seen.push(ref.id);
        // As if starting one made the endpoint machine ask for another, and told the first.
        if (ref.id === "peer/nse-b")
          a.after(() => a.actions().startPeer(undefined, { input: t.input("nse-c") }));
      },
    });
    a.after(() => {
      a.actions().startPeer(undefined, { input: t.input("nse-b") });
      a.actions().tellPeers(undefined, { event: { type: "LINK_UP" } });
    });
    expect(seen).toEqual(["peer/nse-b", "peer/nse-c"]);
    // The tell was asked for before nse-c's start: it reached nse-b only.
    expect(a.get("nse-b")?.getSnapshot().value).toEqual({ up: "linked" });
    expect(a.get("nse-c")?.getSnapshot().value).toBe("accepting");
    a.stopAll();
  });

  it("carries out orders given outside `after` on the next microtask", async () => {
    const t = actors();
    t.actions.startPeer(undefined, { input: t.input("nse-b") });
    expect(t.a.get("nse-b")).toBeUndefined();
    await Promise.resolve();
    expect(t.a.get("nse-b")?.id).toBe("peer/nse-b");
    t.a.stopAll();
  });

  it("takes names that are also names of Object.prototype members", () => {
    const t = actors();
    t.a.after(() => {
      for (const name of ["constructor", "__proto__"])
        t.actions.startPeer(undefined, { input: t.input(name) });
    });
    expect([...t.a.values()].map((ref) => ref.id)).toEqual(["peer/constructor", "peer/__proto__"]);
    t.a.stopAll();
  });

  it("tells every running actor, and a named one only", () => {
    const t = actors();
    t.a.after(() => {
      for (const name of ["nse-b", "nse-c"]) t.actions.startPeer(undefined, { input: t.input(name) });
      t.actions.tellPeers(undefined, { event: { type: "LINK_UP" } });
      t.actions.tellPeer(undefined, { name: "nse-c", event: { type: "LINK_DOWN", reason: "test" } });
      t.actions.tellPeer(undefined, { name: "nse-x", event: { type: "LINK_UP" } });
    });
    expect(t.a.get("nse-b")?.getSnapshot().value).toEqual({ up: "linked" });
    expect(t.a.get("nse-c")?.getSnapshot().value).toBe("accepting");
    t.a.stopAll();
  });

  it("reports and drops an actor that finished; the name can start afresh", async () => {
    const t = actors();
    t.a.after(() => t.actions.startPeer(undefined, { input: t.input("nse-b", "dial") }));
    const first = t.a.get("nse-b")!;
    await until(first, (s) => s.matches("up"));
    t.a.after(() => t.actions.tellPeer(undefined, { name: "nse-b", event: { type: "PEER_GONE" } }));
    await until(first, (s) => s.status === "done");
    expect(t.ended).toEqual([{ name: "nse-b", error: undefined }]);
    expect(t.gone).toEqual(["peer/nse-b"]);
    expect(t.a.size).toBe(0);
    t.a.after(() => t.actions.startPeer(undefined, { input: t.input("nse-b") }));
    expect(t.a.get("nse-b")).not.toBe(first);
    t.a.stopAll();
  });

  it("reports and drops an actor that broke, with its error", () => {
    const t = actors();
    const ended: Array<{ name: string; error?: unknown }> = [];
    const logic = peerMachine.provide({
      actions: {
        signalUp: () => {
          throw new Error("signal broke");
        },
      },
    });
    const broken = new PeerActors(logic, { onEnd: (name, error) => ended.push({ name, error }) });
    broken.after(() => {
      broken.actions().startPeer(undefined, { input: t.input("nse-b") });
      broken.actions().tellPeer(undefined, { name: "nse-b", event: { type: "LINK_UP" } });
    });
    expect(ended).toEqual([{ name: "nse-b", error: new Error("signal broke") }]);
    expect(broken.size).toBe(0);
  });

  it("stops every actor without reporting it, and starts nothing asked for after", async () => {
    const t = actors();
    t.a.after(() => t.actions.startPeer(undefined, { input: t.input("nse-b") }));
    const ref = t.a.get("nse-b")!;
    t.actions.startPeer(undefined, { input: t.input("nse-c") });
    t.a.stopAll();
    await Promise.resolve();
    expect(ref.getSnapshot().status).toBe("stopped");
    expect(t.ended).toEqual([]);
    expect(t.gone).toEqual(["peer/nse-b"]);
    expect(t.a.size).toBe(0);
    expect(t.started).toEqual(["peer/nse-b"]);
  });
});
