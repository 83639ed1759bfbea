// The peer machine with its real effects (peer-effects.ts) over fake links: each effect is an action
// answered by an event, and an answer nobody waits for any more (its state was left, or the actor
// stopped) is dropped, as XState drops an invoked actor's; a Request abandoned before its turn is never sent.
import { describe, expect, it } from "vitest";
import { createActor } from "xstate";
import type { LifecycleSignal } from "../../../src/actors/observe.js";
import { type PeerLinks, type PeerLinkWatcher, peerEffects } from "../../../src/actors/peer-effects.js";
import { MemoryDataplane } from "../../../src/dataplane/memory.js";
import { DataplaneQueue } from "../../../src/dataplane/queue.js";
import type { Connection } from "../../../src/grpc/gen/networkservice/connection.js";
import { silentLogger } from "../../../src/log.js";
import type { PeerRequestInput } from "../../../src/machines/peer.machine.js";
import type { Abandonable } from "../../../src/util/request-window.js";
import { conn, until } from "../machines/fixtures.js";

/** Links whose Requests the test answers one by one; it sees each one's `signal`. */
function fakeLinks() {
  const requests: Array<{
    input: PeerRequestInput;
    signal?: Abandonable;
    answer(link: Connection): void;
    fail(error: Error): void;
  }> = [];
  const watchers = new Set<PeerLinkWatcher>();
  const closed: string[] = [];
  const links: PeerLinks = {
    request: (input, signal) =>
      new Promise((resolve, reject) => requests.push({ input, signal, answer: resolve, fail: reject })),
    monitor: (_, watcher) => {
      watchers.add(watcher);
      return () => watchers.delete(watcher);
    },
    close: async ({ link }) => void closed.push(link?.id ?? "-"),
  };
  return { links, requests, watchers, closed };
}

function run() {
  const f = fakeLinks();
  const signals: LifecycleSignal[] = [];
  const queue = new DataplaneQueue(new MemoryDataplane(), { log: silentLogger() });
  const machine = peerEffects({
    links: f.links,
    queue,
    pool: () => "172.16.0.0/16",
    signal: (s) => signals.push(s),
  });
  const actor = createActor(machine, {
    input: { name: "nse-b", url: "tcp://127.0.0.1:5998", role: "dial", backoff: { initialMs: 1, maxMs: 2 } },
  });
  actor.start();
  return { ...f, actor, signals, queue };
}

describe("peer effects", () => {
  it("requests, programs the link's routes, watches it; the monitor's down heals it", async () => {
    const r = run();
    expect(r.requests).toHaveLength(1);
    r.requests[0]!.answer(conn("link-1"));
    await until(r.actor, (s) => s.matches({ up: "watching" }));
    expect(r.queue.ownedBy("peer/nse-b").length).toBeGreaterThan(0);
    expect(r.watchers.size).toBe(1);
    const [watcher] = r.watchers;
    r.watchers.delete(watcher!);
    watcher!.down("monitor stream ended");
    expect(r.actor.getSnapshot().value).toBe("healing");
    // Healing redials after its backoff, with the same link.
    await until(r.actor, () => r.requests.length === 2);
    expect(r.requests[1]!.input.link?.id).toBe("link-1");
    r.actor.stop();
  });

  it("drops the answer of a refresh whose state was left, and takes the newer Request's", async () => {
    const r = run();
    r.requests[0]!.answer(conn("link-1"));
    await until(r.actor, (s) => s.matches({ up: "watching" }));
    r.actor.send({ type: "REFRESH_REQUESTED" });
    expect(r.requests).toHaveLength(2);
    // Our prefix changed while the refresh was out: a new Request; the refresh's answer is stale.
    r.actor.send({ type: "PREFIX_CHANGED" });
    expect(r.requests).toHaveLength(3);
    expect(r.requests[1]!.signal?.aborted).toBe(true);
    expect(r.requests[2]!.signal?.aborted).toBe(false);
    r.requests[1]!.answer(conn("stale"));
    await Promise.resolve();
    expect(r.actor.getSnapshot().value).toBe("requesting");
    r.requests[2]!.answer(conn("link-2"));
    const s = await until(r.actor, (x) => x.matches({ up: "watching" }));
    expect(s.context.link?.id).toBe("link-2");
    r.actor.stop();
  });

  it("abandons the Request of a stopped actor: it is never answered nor sent", async () => {
    const r = run();
    r.actor.stop();
    expect(r.requests[0]!.signal?.aborted).toBe(true);
    r.requests[0]!.fail(new Error("unavailable"));
    await Promise.resolve();
    expect(r.actor.getSnapshot().status).toBe("stopped");
  });

  it("stops watching when the link leaves up, and closes it when the peer is gone", async () => {
    const r = run();
    r.requests[0]!.answer(conn("link-1"));
    await until(r.actor, (s) => s.matches({ up: "watching" }));
    r.actor.send({ type: "PEER_GONE" });
    expect(r.watchers.size).toBe(0);
    const s = await until(r.actor, (x) => x.status === "done");
    expect(s.value).toBe("closed");
    expect(r.closed).toEqual(["link-1"]);
    expect(r.queue.ownedBy("peer/nse-b")).toEqual([]);
    expect(r.signals.filter((x) => x.type === "peer").map((x) => (x as { up: boolean }).up)).toEqual([
      true,
      false,
    ]);
  });

  it("stops watching when the actor is stopped where it stands (an endpoint's abort)", async () => {
    const r = run();
    r.requests[0]!.answer(conn("link-1"));
    await until(r.actor, (s) => s.matches({ up: "watching" }));
    expect(r.watchers.size).toBe(1);
    r.actor.stop(); // no exit actions run: the effects must notice on their own
    expect(r.watchers.size).toBe(0);
  });
});
