// The endpoint's peer actors as the runtime holds them (src/actors/peer-actors.ts): a peer the
// registry reports shows in the actor tree and by its own persisted snapshot, is dropped once it has
// finished, drains on stop, and is stopped where it stands by an abort.
import { afterEach, describe, expect, it } from "vitest";
import type { LifecycleSignal } from "../../../src/actors/observe.js";
import { startTestNse, type TestNse, waitFor } from "../../support/endpoint.js";

let t: TestNse | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

const peersOf = (t: TestNse) => t.nse.endpoint.tree().children.filter((c) => c.kind === "peer");

describe("the endpoint's peer actors", () => {
  it("shows a found peer in the tree and by its snapshot, and drops it once it has finished", async () => {
    t = await startTestNse({ insecure: true });
    const endpoint = t.nse.endpoint;
    const signals: LifecycleSignal[] = [];
    endpoint.onSignal((s) => signals.push(s));
    // nse-z sorts after nse-test: by the peer rule it dials us, we accept.
    endpoint.peerFound("nse-z", "tcp://127.0.0.1:1", "accept");
    endpoint.peerFound("nse-z", "tcp://127.0.0.1:2", "accept");
    const [peer] = peersOf(t);
    expect(peersOf(t)).toHaveLength(1);
    expect(peer).toMatchObject({
      id: "peer/nse-z",
      machine: "peer",
      state: "accepting",
      subject: { peer: "nse-z", url: "tcp://127.0.0.1:2", role: "accept" },
    });
    expect(endpoint.persistedSnapshot("peer/nse-z")).toMatchObject({ value: "accepting", status: "active" });
    expect(endpoint.persistedSnapshot("peer/nse-y")).toBeUndefined();
    expect(signals).toContainEqual({
      type: "transition",
      actor: "peer",
      id: "peer/nse-z",
      from: "",
      to: "accepting",
    });
    endpoint.peerLost("nse-z");
    await waitFor(() => peersOf(t!).length === 0, "the lost peer's actor to finish");
    expect(endpoint.persistedSnapshot("peer/nse-z")).toBeUndefined();
    // Found again after it finished: a new actor.
    endpoint.peerFound("nse-z", "tcp://127.0.0.1:3", "accept");
    expect(peersOf(t).map((p) => p.subject.url)).toEqual(["tcp://127.0.0.1:3"]);
  });

  it("drains its peers on stop", async () => {
    t = await startTestNse({ insecure: true });
    for (const name of ["nse-x", "nse-y", "nse-z"])
      t.nse.endpoint.peerFound(name, "tcp://127.0.0.1:1", "accept");
    expect(peersOf(t)).toHaveLength(3);
    await t.nse.endpoint.stop({ timeoutMs: 5000 });
    expect(peersOf(t)).toHaveLength(0);
    expect(t.nse.endpoint.tree().state).toBe("stopped");
  });

  it("stops its peers where they stand on abort", async () => {
    t = await startTestNse({ insecure: true });
    t.nse.endpoint.peerFound("nse-z", "tcp://127.0.0.1:1", "accept");
    expect(peersOf(t)).toHaveLength(1);
    await t.nse.endpoint.abort();
    expect(peersOf(t)).toHaveLength(0);
  });
});
