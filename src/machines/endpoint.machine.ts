// The endpoint supervisor: spawns one connection actor per connection id and one peer actor per
// remote vL3 NSE, routes events to them, and drains them all on shutdown. Pure: the start-up work
// (prefix, data-plane resync) and each child's effects are provided by the runtime.
import { type ActorRefFrom, assign, enqueueActions, fromPromise, sendTo, setup, stopChild } from "xstate";
import type { Connection } from "../grpc/gen/networkservice/connection.js";
import { type ConnectionKind, connectionMachine } from "./connection.machine.js";
import { type PeerRole, peerMachine } from "./peer.machine.js";

export interface EndpointInput {
  name: string;
  backoff: { initialMs: number; maxMs: number };
}

export interface EndpointContext extends EndpointInput {
  connections: Record<string, ActorRefFrom<typeof connectionMachine>>;
  peers: Record<string, ActorRefFrom<typeof peerMachine>>;
  prefix?: string;
  lastError?: string;
}

export type EndpointEvent =
  | { type: "CONNECTION.REQUEST"; id: string; kind: ConnectionKind; request: Connection; lifetimeMs: number }
  | { type: "CONNECTION.CLOSE"; id: string }
  | { type: "PEER.FOUND"; name: string; url: string; role: PeerRole }
  | { type: "PEER.LOST"; name: string }
  | { type: "PEER.LINK"; name: string; up: boolean; reason?: string }
  | { type: "PREFIX.CHANGED"; prefix: string }
  | { type: "DATAPLANE.LOST" }
  | { type: "STOP" };

export const connectionActorId = (id: string) => `connection/${id}`;
export const peerActorId = (name: string) => `peer/${name}`;

const CHILD_PREFIX = "xstate.done.actor.";

/**
 * A copy of a record of children by id, with `key` set to `value` (or removed). The copy has a null
 * prototype, which keeps V8 from making a hidden class per new key (ids are unique): with spread
 * copies, each spawn and stop cost grew steeply with the number of connections held.
 */
function withEntry<T>(record: Record<string, T>, key: string, value?: T): Record<string, T> {
  const copy: Record<string, T> = Object.create(null);
  for (const k in record) if (k !== key) copy[k] = record[k]!;
  if (value !== undefined) copy[key] = value;
  return copy;
}

export const endpointMachine = setup({
  types: {
    context: {} as EndpointContext,
    events: {} as EndpointEvent,
    input: {} as EndpointInput,
  },
  actors: {
    connection: connectionMachine,
    peer: peerMachine,
    /** Claims the prefix and resyncs the data plane; resolves with the prefix. */
    start: fromPromise<string, { name: string }>(async () => {
      throw new Error("start is provided by the runtime");
    }),
  },
  guards: {
    hasConnection: ({ context, event }) => "id" in event && context.connections[event.id] !== undefined,
    hasPeer: ({ context, event }) => "name" in event && context.peers[event.name] !== undefined,
    childDone: ({ event }) => (event.type as string).startsWith(CHILD_PREFIX),
    drained: ({ context }) =>
      Object.keys(context.connections).length === 0 && Object.keys(context.peers).length === 0,
  },
  actions: {
    // Drops the reference and the finished child itself, so long-lived endpoints do not accumulate them.
    // The child's id names its entry (connection/<id>, peer/<name>): no scan of every child.
    forgetChild: enqueueActions(({ context, event, enqueue }) => {
      const childId = (event.type as string).slice(CHILD_PREFIX.length);
      const connection = childId.slice(connectionActorId("").length);
      const peer = childId.slice(peerActorId("").length);
      if (context.connections[connection]?.id === childId) {
        enqueue.assign({ connections: withEntry(context.connections, connection) });
      } else if (context.peers[peer]?.id === childId) {
        enqueue.assign({ peers: withEntry(context.peers, peer) });
      }
      enqueue(stopChild(childId));
    }),
    broadcast: enqueueActions(({ context, enqueue }, params: { toConnections: object; toPeers: object }) => {
      for (const ref of Object.values(context.connections))
        enqueue.sendTo(ref, params.toConnections as never);
      for (const ref of Object.values(context.peers)) enqueue.sendTo(ref, params.toPeers as never);
    }),
  },
}).createMachine({
  id: "endpoint",
  // Null prototypes: an id such as "constructor" names nothing until it is spawned.
  context: ({ input }) => ({ ...input, connections: Object.create(null), peers: Object.create(null) }),
  initial: "starting",
  on: {
    // A child that reached a final state (closed, failed) is forgotten.
    "*": { guard: "childDone", actions: "forgetChild" },
  },
  states: {
    starting: {
      invoke: {
        src: "start",
        input: ({ context }) => ({ name: context.name }),
        onDone: { target: "serving", actions: assign({ prefix: ({ event }) => event.output }) },
        onError: {
          target: "stopped",
          actions: assign({
            lastError: ({ event }) => (event.error as Error)?.message ?? String(event.error),
          }),
        },
      },
      on: { STOP: "stopped" },
    },
    serving: {
      on: {
        "CONNECTION.REQUEST": [
          {
            guard: "hasConnection",
            actions: sendTo(
              ({ context, event }) => context.connections[event.id]!,
              ({ event }) => ({
                type: "REQUEST" as const,
                request: event.request,
                lifetimeMs: event.lifetimeMs,
              }),
            ),
          },
          {
            actions: assign({
              connections: ({ context, event, spawn }) =>
                withEntry(
                  context.connections,
                  event.id,
                  spawn("connection", {
                    id: connectionActorId(event.id),
                    input: {
                      id: event.id,
                      kind: event.kind,
                      request: event.request,
                      lifetimeMs: event.lifetimeMs,
                    },
                  }),
                ),
            }),
          },
        ],
        "CONNECTION.CLOSE": {
          guard: "hasConnection",
          actions: sendTo(({ context, event }) => context.connections[event.id]!, { type: "CLOSE" }),
        },
        "PEER.FOUND": [
          {
            guard: "hasPeer",
            actions: sendTo(
              ({ context, event }) => context.peers[event.name]!,
              ({ event }) => ({ type: "URL_CHANGED" as const, url: event.url }),
            ),
          },
          {
            actions: assign({
              peers: ({ context, event, spawn }) =>
                withEntry(
                  context.peers,
                  event.name,
                  spawn("peer", {
                    id: peerActorId(event.name),
                    input: { name: event.name, url: event.url, role: event.role, backoff: context.backoff },
                  }),
                ),
            }),
          },
        ],
        "PEER.LOST": {
          guard: "hasPeer",
          actions: sendTo(({ context, event }) => context.peers[event.name]!, { type: "PEER_GONE" }),
        },
        "PEER.LINK": {
          guard: "hasPeer",
          actions: sendTo(
            ({ context, event }) => context.peers[event.name]!,
            ({ event }) =>
              event.up
                ? ({ type: "LINK_UP" } as const)
                : ({ type: "LINK_DOWN", reason: event.reason ?? "link closed" } as const),
          ),
        },
        "PREFIX.CHANGED": {
          actions: [
            assign({ prefix: ({ event }) => event.prefix }),
            {
              type: "broadcast",
              params: { toConnections: { type: "PREFIX_CHANGED" }, toPeers: { type: "PREFIX_CHANGED" } },
            },
          ],
        },
        "DATAPLANE.LOST": {
          actions: {
            type: "broadcast",
            params: {
              toConnections: { type: "DATAPLANE_LOST" },
              toPeers: { type: "LINK_DOWN", reason: "data plane lost" },
            },
          },
        },
        STOP: "draining",
      },
    },
    /** Close every connection and peer link (withdrawing their state), then stop. */
    draining: {
      entry: {
        type: "broadcast",
        params: { toConnections: { type: "CLOSE" }, toPeers: { type: "PEER_GONE" } },
      },
      always: { guard: "drained", target: "stopped" },
      on: {
        // Nothing new while draining; the runtime answers callers with UNAVAILABLE.
        "CONNECTION.REQUEST": {},
      },
    },
    stopped: {
      type: "final",
      entry: enqueueActions(({ context, enqueue }) => {
        for (const ref of [...Object.values(context.connections), ...Object.values(context.peers)]) {
          enqueue(stopChild(ref));
        }
      }),
    },
  },
});
