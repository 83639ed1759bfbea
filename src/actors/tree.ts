// The live actor tree as plain data (for /debug/actors and `vl3-nse status`).
import type { Actor, AnyActorRef } from "xstate";
import type { Connection } from "../grpc/gen/networkservice/connection.js";
import type { ConnectionContext } from "../machines/connection.machine.js";
import type { endpointMachine } from "../machines/endpoint.machine.js";
import type { PeerContext } from "../machines/peer.machine.js";
import type { ActorView } from "./observe.js";
import { type ActorTracker, stateString } from "./tracker.js";

const ipOf = (c?: Connection) => c?.context?.ipContext;

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
      if (conn.mechanism?.type) subject.mechanism = conn.mechanism.type;
      return {
        subject,
        addresses: ipOf(conn)?.srcIpAddrs ?? [],
        routes: (ipOf(conn)?.dstRoutes ?? []).map((r) => r.prefix),
        lastError: c.lastError,
      };
    }),
  );
  const peers = Object.values(s.context.peers).map((ref) =>
    view(ref, tracker, ({ context }) => {
      const p = context as PeerContext;
      const ip = ipOf(p.link);
      return {
        subject: { peer: p.name, url: p.url, role: p.role, attempt: String(p.attempt) },
        addresses: ip?.dstIpAddrs ?? [],
        routes: (ip?.srcRoutes ?? []).map((r) => r.prefix),
        lastError: p.lastError,
      };
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
