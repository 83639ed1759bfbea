// The peer machine run as an actor with scripted effects: dialling, healing with backoff, accepting,
// and closing when the peer leaves the registry.
import { describe, expect, it } from "vitest";
import { createActor } from "xstate";
import type { Connection } from "../../../src/grpc/gen/networkservice/connection.js";
import { type PeerRequestInput, type PeerRole, peerMachine } from "../../../src/machines/peer.machine.js";
import { answering, conn, until } from "./fixtures.js";

function run(role: PeerRole, requests: Array<Connection | Error> = [conn("link-1")]) {
  const request = answering<PeerRequestInput, Connection>(
    requests,
    (link) => ({ type: "REQUESTED", link }),
    (error) => ({ type: "REQUEST_FAILED", error }),
  );
  const program = answering<{ name: string; link: Connection }, undefined>(
    [undefined],
    () => ({ type: "PROGRAMMED" }),
    (error) => ({ type: "PROGRAMMING_FAILED", error }),
  );
  const close = answering<{ name: string; link?: Connection }, undefined>(
    [undefined],
    () => ({ type: "CLOSED" }),
    (error) => ({ type: "CLOSE_FAILED", error }),
  );
  const monitor = { started: [] as Array<{ name: string; link: Connection }>, stopped: 0 };
  const signals: string[] = [];
  const delays: number[] = [];
  const machine = peerMachine.provide({
    actions: {
      request: request.action,
      program: program.action,
      close: close.action,
      watch: (_, p) => void monitor.started.push(p),
      unwatch: () => void monitor.stopped++,
      signalUp: (_, p) => void signals.push(`up ${p.name}`),
      signalDown: (_, p) => void signals.push(`down ${p.name}: ${p.reason}`),
      withdraw: (_, p) => void signals.push(`withdraw ${p.name}`),
    },
    // Record the attempt each wait is for; wait 1 ms so the test does not depend on time.
    delays: {
      backoff: ({ context }) => {
        delays.push(context.attempt);
        return 1;
      },
    },
  });
  const actor = createActor(machine, {
    input: { name: "nse-b", url: "tcp://127.0.0.1:5998", role, backoff: { initialMs: 100, maxMs: 1000 } },
  });
  actor.start();
  return { actor, request, program, close, monitor, signals, delays };
}

describe("peer machine", () => {
  it("dials: requests, programs the link, watches it, signals up", async () => {
    const r = run("dial");
    const s = await until(r.actor, (x) => x.matches("up"));
    expect(r.request.calls).toEqual([{ name: "nse-b", url: "tcp://127.0.0.1:5998", link: undefined }]);
    expect(r.program.calls).toEqual([{ name: "nse-b", link: conn("link-1") }]);
    expect(r.monitor.started).toEqual([{ name: "nse-b", link: conn("link-1") }]);
    expect(r.signals).toEqual(["up nse-b"]);
    expect(s.context.attempt).toBe(0);
    r.actor.stop();
  });

  it("heals a failing dial with backoff, counting attempts, and resets them once up", async () => {
    const r = run("dial", [new Error("unavailable"), new Error("unavailable"), conn("link-1")]);
    const s = await until(r.actor, (x) => x.matches("up"));
    expect(r.request.calls).toHaveLength(3);
    expect(r.delays).toEqual([1, 2]);
    expect(s.context.attempt).toBe(0);
    expect(s.context.lastError).toBeUndefined();
    r.actor.stop();
  });

  it("redials a link that went down, with the previous link for the same connection id", async () => {
    const r = run("dial");
    await until(r.actor, (x) => x.matches("up"));
    r.actor.send({ type: "LINK_DOWN", reason: "monitor stream ended" });
    await until(r.actor, (x) => x.matches("up") && r.request.calls.length === 2);
    expect(r.request.calls[1]?.link).toEqual(conn("link-1"));
    expect(r.monitor.stopped).toBe(1);
    // Its routes go at once, before the backoff: traffic must not follow a link that is down.
    expect(r.signals).toEqual(["up nse-b", "withdraw nse-b", "down nse-b: monitor stream ended", "up nse-b"]);
    r.actor.stop();
  });

  it("withdraws the routes of a link whose refresh fails, then heals it", async () => {
    const r = run("dial", [conn("link-1"), new Error("deadline exceeded"), conn("link-1")]);
    await until(r.actor, (x) => x.matches("up"));
    r.actor.send({ type: "REFRESH_REQUESTED" });
    await until(r.actor, (x) => x.matches("up") && r.request.calls.length === 3);
    expect(r.signals).toEqual([
      "up nse-b",
      "withdraw nse-b",
      "down nse-b: refresh failed: deadline exceeded",
      "up nse-b",
    ]);
    r.actor.stop();
  });

  it("re-requests on PREFIX_CHANGED so the peer routes to the new prefix", async () => {
    const r = run("dial");
    await until(r.actor, (x) => x.matches("up"));
    r.actor.send({ type: "PREFIX_CHANGED" });
    await until(r.actor, (x) => x.matches("up") && r.program.calls.length === 2);
    expect(r.request.calls).toHaveLength(2);
    r.actor.stop();
  });

  it("refreshes the same link when the peer asks (REFRESH_REQUESTED) and reprograms its answer", async () => {
    const r = run("dial", [conn("link-1"), conn("link-1")]);
    await until(r.actor, (x) => x.matches({ up: "watching" }));
    r.actor.send({ type: "REFRESH_REQUESTED" });
    await until(r.actor, (x) => x.matches({ up: "watching" }) && r.program.calls.length === 2);
    expect(r.request.calls).toHaveLength(2);
    // A refresh keeps the link: the second request carries the first answer.
    expect(r.request.calls[1]?.link?.id).toBe("link-1");
    r.actor.stop();
  });

  it("accepts: waits for the peer's link, follows it up and down, never dials", async () => {
    const r = run("accept");
    expect(r.actor.getSnapshot().value).toBe("accepting");
    r.actor.send({ type: "LINK_UP" });
    expect(r.actor.getSnapshot().matches("up")).toBe(true);
    r.actor.send({ type: "LINK_DOWN", reason: "closed by peer" });
    expect(r.actor.getSnapshot().value).toBe("accepting");
    r.actor.send({ type: "PREFIX_CHANGED" });
    expect(r.actor.getSnapshot().value).toBe("accepting");
    expect(r.request.calls).toHaveLength(0);
    expect(r.monitor.started).toHaveLength(0);
    expect(r.signals).toEqual(["up nse-b", "down nse-b: closed by peer"]);
    r.actor.stop();
  });

  it("closes the link when the peer leaves the registry (PEER_GONE → closing → closed)", async () => {
    const r = run("dial");
    await until(r.actor, (x) => x.matches("up"));
    r.actor.send({ type: "PEER_GONE" });
    const s = await until(r.actor, (x) => x.status === "done");
    expect(s.value).toBe("closed");
    expect(r.close.calls).toEqual([{ name: "nse-b", link: conn("link-1") }]);
    expect(r.signals.at(-1)).toBe("down nse-b: unregistered");
  });

  it("found again while its link is closing: once closed, dials afresh instead of ending", async () => {
    const r = run("dial", [conn("link-1"), conn("link-2")]);
    await until(r.actor, (x) => x.matches("up"));
    r.actor.send({ type: "PEER_GONE" });
    expect(r.actor.getSnapshot().value).toBe("closing");
    r.actor.send({ type: "PEER_FOUND", url: "unix:///tmp/nse-b.sock" });
    const s = await until(r.actor, (x) => x.matches("up") && r.request.calls.length === 2);
    expect(s.status).toBe("active");
    expect(r.close.calls).toEqual([{ name: "nse-b", link: conn("link-1") }]);
    // A fresh link (not a refresh of the closed one), to the URL the registry gave last.
    expect(r.request.calls[1]).toEqual({ name: "nse-b", url: "unix:///tmp/nse-b.sock", link: undefined });
    expect(r.signals).toEqual(["up nse-b", "down nse-b: unregistered", "up nse-b"]);
    r.actor.stop();
  });

  it("stops healing when the peer is gone", async () => {
    const r = run("dial", [new Error("unavailable")]);
    await until(r.actor, (x) => x.context.attempt >= 1);
    r.actor.send({ type: "PEER_GONE" });
    const s = await until(r.actor, (x) => x.status === "done");
    expect(s.value).toBe("closed");
  });

  it("takes a new URL without redialling", async () => {
    const r = run("accept");
    r.actor.send({ type: "PEER_FOUND", url: "unix:///tmp/nse-b.sock" });
    expect(r.actor.getSnapshot().context.url).toBe("unix:///tmp/nse-b.sock");
    r.actor.stop();
  });
});
