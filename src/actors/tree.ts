// The live actor tree as plain data (for /debug/actors and `vl3-nse status`). A connection a peer
// dialled to us names that peer (`subject.peer`), and a peer actor that accepts shows the addresses
// and prefix its served link carries, so the views draw peer links as such, never as clients. Also
// any one actor's persisted snapshot, by its id in that tree (for /debug/actors/<id>).
import type { Actor, AnyActorRef } from "xstate";
import type { Connection } from "../grpc/gen/networkservice/connection.js";
import type { ConnectionContext } from "../machines/connection.machine.js";
import { connectionActorId, type endpointMachine, peerActorId } from "../machines/endpoint.machine.js";
import type { PeerContext } from "../machines/peer.machine.js";
import { PEER_REQUEST_LABEL } from "../registry/labels.js";
import type { ActorView } from "./observe.js";
import { type ActorTracker, stateString } from "./tracker.js";

const ipOf = (c?: Connection) => c?.context?.ipContext;
const HOST_ROUTE = /\/(32|128)$/;

/** The peer's prefix among a link's routes: the one that is not a host route. */
function prefixOf(routes: string[]): string | undefined {
  return routes.find((r) => !HOST_ROUTE.test(r));
}

function view(
  ref: AnyActorRef,
  tracker: ActorTracker,
  fill: (snapshot: { value: unknown; context: unknown }) => Partial<ActorView>,
): ActorView {
  const s = ref.getSnapshot() as { value: unknown; context: unknown };
  const base: ActorView = {
    id: ref.id,
    kind: ref.id.startsWith("peer/") ? "peer" : "connection",
    machine: ref.id.startsWith("peer/") ? "peer" : "connection",
    state: stateString(s.value),
    since: (tracker.since(ref.id) ?? new Date()).toISOString(),
    subject: {},
    addresses: [],
    routes: [],
    children: [],
  };
  return { ...base, ...fill(s) };
}

export function buildTree(
  actor: Actor<typeof endpointMachine>,
  connectionRefs: AnyActorRef[],
  peerRefs: AnyActorRef[],
  tracker: ActorTracker,
  info: { name: string; prefix?: string; address?: string },
): ActorView {
  const s = actor.getSnapshot();
  const connections = connectionRefs.map((ref) =>
    view(ref, tracker, ({ context }) => {
      const c = context as ConnectionContext;
      const conn = c.committed ?? c.pending ?? c.request;
      const subject: Record<string, string> = {
        connection: c.id,
        kind: c.kind,
        networkService: conn.networkService,
      };
      if (conn.labels.podName) subject.nsc = conn.labels.podName;
      const peer = c.kind === "peer" ? conn.labels[PEER_REQUEST_LABEL] : undefined;
      if (peer) subject.peer = peer;
      if (conn.mechanism?.type) subject.mechanism = conn.mechanism.type;
      return {
        subject,
        addresses: ipOf(conn)?.srcIpAddrs ?? [],
        routes: (ipOf(conn)?.dstRoutes ?? []).map((r) => r.prefix),
        lastError: c.lastError,
      };
    }),
  );
  // The link each peer dialled to us (the newest that is up, else any): what an accepting peer shows.
  const served = new Map<string, ActorView>();
  for (const c of connections) {
    const peer = c.subject.peer;
    if (peer && (!served.has(peer) || c.state === "up")) served.set(peer, c);
  }
  const peers = peerRefs.map((ref) =>
    view(ref, tracker, ({ context }) => {
      const p = context as PeerContext;
      const ip = ipOf(p.link);
      const link = served.get(p.name);
      const addresses = ip ? ip.dstIpAddrs : (link?.addresses ?? []);
      const routes = ip ? ip.srcRoutes.map((r) => r.prefix) : (link?.routes ?? []);
      const subject: Record<string, string> = {
        peer: p.name,
        url: p.url,
        role: p.role,
        attempt: String(p.attempt),
      };
      const prefix = prefixOf(routes);
      if (prefix) subject.prefix = prefix;
      if (link) subject.servedLink = link.subject.connection ?? link.id;
      return { subject, addresses, routes, lastError: p.lastError };
    }),
  );
  const subject: Record<string, string> = { name: info.name };
  if (info.prefix) subject.prefix = info.prefix;
  return {
    id: "endpoint",
    kind: "endpoint",
    machine: "endpoint",
    state: stateString(s.value),
    since: (tracker.since("endpoint") ?? new Date()).toISOString(),
    subject,
    addresses: info.address ? [info.address] : [],
    routes: info.prefix ? [info.prefix] : [],
    lastError: s.context.lastError,
    children: [...connections, ...peers],
  };
}

/** The persisted snapshot of the endpoint ("endpoint"), a connection actor or a peer actor, by id. */
export function persistedSnapshotOf(
  endpoint: Actor<typeof endpointMachine>,
  connections: { get(id: string): AnyActorRef | undefined },
  peers: { get(name: string): AnyActorRef | undefined },
  id: string,
): unknown {
  if (id === "endpoint") return endpoint.getPersistedSnapshot();
  const connection = connectionActorId("");
  const peer = peerActorId("");
  const ref = id.startsWith(connection)
    ? connections.get(id.slice(connection.length))
    : id.startsWith(peer)
      ? peers.get(id.slice(peer.length))
      : undefined;
  return ref ? ref.getPersistedSnapshot?.() : undefined;
}
