// A stand-in for the endpoint runtime's Observable: a tree and snapshots the test sets, signals it emits.
import type { ActorView, LifecycleSignal, Observable } from "../../../src/actors/observe.js";

export class FakeObservable implements Observable {
  current: ActorView;
  snapshots = new Map<string, unknown>();
  ready = { registered: false, prefix: false, dataplane: false };
  private listeners = new Set<(signal: LifecycleSignal) => void>();

  constructor(tree: ActorView) {
    this.current = tree;
  }

  tree(): ActorView {
    return this.current;
  }

  persistedSnapshot(id: string): unknown {
    return this.snapshots.get(id);
  }

  onSignal(listener: (signal: LifecycleSignal) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  readiness() {
    return { ...this.ready };
  }

  emit(signal: LifecycleSignal): void {
    for (const listener of this.listeners) listener(signal);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}

const T0 = "2026-03-01T12:00:00.000Z";

export function actor(partial: Partial<ActorView> & Pick<ActorView, "id" | "kind" | "state">): ActorView {
  return {
    id: partial.id,
    kind: partial.kind,
    machine: partial.machine ?? partial.kind,
    state: partial.state,
    since: partial.since ?? T0,
    subject: partial.subject ?? {},
    addresses: partial.addresses ?? [],
    routes: partial.routes ?? [],
    ...(partial.lastError === undefined ? {} : { lastError: partial.lastError }),
    children: partial.children ?? [],
  };
}

/** This endpoint (nse-vl3-a), three peers in different states and four NSC connections. */
export function sampleMesh(since = T0): ActorView {
  const client = (n: number, state: string, lastError?: string) =>
    actor({
      id: `connection/nsc-${n}-7f3c`,
      kind: "connection",
      state,
      since,
      subject: { connection: `nsc-${n}-7f3c`, networkService: "vl3-service", pod: `app-${n}` },
      addresses: [`172.16.1.${n + 1}/32`],
      routes: ["172.16.0.0/16"],
      lastError,
    });
  const peer = (name: string, state: string, third: number, role: string, lastError?: string) =>
    actor({
      id: `peer/${name}`,
      kind: "peer",
      state,
      since,
      subject: { peer: name, url: `tcp://198.18.0.${third}:5002`, role, prefix: `172.16.${third}.0/24` },
      addresses: [`172.16.${third}.1/32`],
      routes: [`172.16.${third}.1/32`, `172.16.${third}.0/24`],
      lastError,
    });
  return actor({
    id: "endpoint",
    kind: "endpoint",
    state: "serving",
    since,
    subject: { name: "nse-vl3-a", networkService: "vl3-service", prefix: "172.16.1.0/24" },
    addresses: ["172.16.1.0/32"],
    routes: ["172.16.1.0/24"],
    children: [
      peer("nse-vl3-b", "up", 2, "dial"),
      peer("nse-vl3-c", "requesting", 3, "dial"),
      peer("nse-vl3-d", "healing.waiting", 4, "dial", "UNAVAILABLE: connect ECONNREFUSED 198.18.0.4:5002"),
      client(1, "up"),
      client(2, "up"),
      client(3, "programming"),
      client(4, "healing.allocating", "RESOURCE_EXHAUSTED: no address left in 172.16.1.0/24"),
    ],
  });
}

/**
 * `tree` with a peer that dialled it (nse-vl3-0, which sorts first): its peer actor accepts and the
 * link it asked for is a connection of kind "peer", which no view may count as an NSC.
 */
export function withServedPeer(tree: ActorView, since = T0): ActorView {
  const accepted = actor({
    id: "peer/nse-vl3-0",
    kind: "peer",
    state: "up.linked",
    since,
    subject: { peer: "nse-vl3-0", url: "tcp://198.18.0.9:5002", role: "accept" },
  });
  const served = actor({
    id: "connection/link-from-0",
    kind: "connection",
    state: "up",
    since,
    subject: { connection: "link-from-0", kind: "peer", networkService: "vl3-service", peer: "nse-vl3-0" },
    addresses: ["172.16.9.1/32"],
    routes: ["172.16.9.1/32", "172.16.9.0/24"],
  });
  return { ...tree, children: [...tree.children, accepted, served] };
}
