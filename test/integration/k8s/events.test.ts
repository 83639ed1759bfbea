import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { LifecycleSignal } from "../../../src/actors/observe.js";
import { EVENT_API_CALLS, EventRecorder } from "../../../src/k8s/events.js";
import { FakeApiServer } from "../../support/k8s/fake-apiserver.js";
import { waitFor } from "../../support/k8s/wait.js";

const NS = "vl3";

describe("EventRecorder against a local fake of the API server", () => {
  let fake: FakeApiServer;
  let clock = 1_000_000;

  beforeEach(async () => {
    fake = await FakeApiServer.start();
  });
  afterEach(async () => {
    expect(fake.undeclared(EVENT_API_CALLS)).toEqual([]);
    await fake.close();
  });

  const recorder = (o: { perMinute?: number } = {}) =>
    new EventRecorder({
      kubeConfig: fake.kubeConfig(NS),
      namespace: NS,
      podName: "vl3-nse-x7k2p",
      podUid: "3f1c5e2a-0000-4000-8000-000000000001",
      nodeName: "node-a",
      now: () => clock,
      perMinute: o.perMinute,
    });

  it("records Events on the pod for the signals that deserve one", async () => {
    const listeners: ((s: LifecycleSignal) => void)[] = [];
    const unsubscribe = recorder().attach({
      onSignal: (l) => {
        listeners.push(l);
        return () => listeners.splice(0);
      },
    });
    const emit = (s: LifecycleSignal) => {
      for (const l of listeners) l(s);
    };
    emit({ type: "prefix", prefix: "172.16.3.0/24", source: "kubernetes" });
    emit({ type: "request", kind: "client", outcome: "ok", seconds: 0.01 });
    emit({ type: "peer", name: "vl3-nse-b", up: false, reason: "nsmgr unreachable" });
    await waitFor(() => fake.eventList(NS).length === 2, "2 events");
    unsubscribe();
    const [prefix, peer] = fake
      .eventList(NS)
      .sort((a, b) => a.reason!.localeCompare(b.reason!))
      .reverse();
    expect(prefix).toMatchObject({
      type: "Normal",
      reason: "PrefixClaimed",
      message: "Claimed prefix 172.16.3.0/24 (kubernetes)",
      involvedObject: {
        apiVersion: "v1",
        kind: "Pod",
        name: "vl3-nse-x7k2p",
        namespace: NS,
        uid: "3f1c5e2a-0000-4000-8000-000000000001",
      },
      source: { component: "vl3-nse", host: "node-a" },
      reportingComponent: "vl3-nse",
    });
    expect(prefix!.metadata!.name).toMatch(/^vl3-nse-x7k2p\.[0-9a-f]+$/);
    expect(peer).toMatchObject({
      type: "Warning",
      reason: "PeerDown",
      message: "Peer vl3-nse-b is down: nsmgr unreachable",
    });
  });

  it("folds repeats within the window and tells how many when it sends again", async () => {
    const r = recorder();
    const down = {
      type: "Warning",
      reason: "DataplaneFailed",
      message: "The vpp data plane failed a transaction of 3 items",
    } as const;
    for (let i = 0; i < 3; i++) await r.record(down);
    expect(fake.eventList(NS)).toHaveLength(1);
    clock += 301_000;
    await r.record(down);
    const messages = fake.eventList(NS).map((e) => e.message);
    expect(messages).toContain(
      "The vpp data plane failed a transaction of 3 items (2 more since the last such Event)",
    );
  });

  it("caps the rate of distinct Events", async () => {
    const r = recorder({ perMinute: 2 });
    for (let i = 0; i < 5; i++)
      await r.record({ type: "Normal", reason: "PeerUp", message: `Peer p${i} is up` });
    expect(fake.eventList(NS)).toHaveLength(2);
    clock += 61_000;
    await r.record({ type: "Normal", reason: "PeerUp", message: "Peer p9 is up" });
    expect(fake.eventList(NS)).toHaveLength(3);
  });

  it("never throws into the caller when the API server refuses or is gone", async () => {
    const r = recorder();
    fake.fail((q) => q.resource === "events", 403);
    await expect(
      r.record({ type: "Normal", reason: "PeerUp", message: "Peer a is up" }),
    ).resolves.toBeUndefined();
    await fake.close();
    await expect(
      r.record({ type: "Normal", reason: "PeerUp", message: "Peer b is up" }),
    ).resolves.toBeUndefined();
    fake = await FakeApiServer.start(); // for afterEach
  });
});
