// The endpoint supervisor's peer actors (endpoint.harness.ts): one per peer name, held by the
// runtime's PeerActors; a repeated or renewed PEER.FOUND, starts asked for outside `after`, and prefix
// or data-plane changes passed on to every peer.
import { describe, expect, it } from "vitest";
import { run } from "./endpoint.harness.js";
import { until } from "./fixtures.js";

describe("endpoint machine: peer actors", () => {
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
});
