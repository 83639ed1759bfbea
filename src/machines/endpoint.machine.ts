// The endpoint supervisor: starts one connection actor per connection id and one peer actor per
// remote vL3 NSE, tells them about prefix and data-plane changes, and drains them all on shutdown.
// Pure: the start-up work (prefix, data-plane resync) and each child's effects are provided by the
// runtime. Connection actors are started and told through runtime actions and counted here, not
// kept as this machine's children: XState copies a machine's children on every spawn and stop, which
// made each Request cost time in proportion to the connections held (1,000 held: seven times slower).
import { type ActorRefFrom, assign, enqueueActions, fromPromise, sendTo, setup, stopChild } from "xstate";
import type { Owner } from "../chain/owner.js";
import type { Connection } from "../grpc/gen/networkservice/connection.js";
import type { ConnectionEvent, ConnectionInput, ConnectionKind } from "./connection.machine.js";
import { type PeerRole, peerMachine } from "./peer.machine.js";

export interface EndpointInput {
  name: string;
  backoff: { initialMs: number; maxMs: number };
}

export interface EndpointContext extends EndpointInput {
  /** How many connection actors are running (started and not yet closed or failed). */
  connections: number;
  peers: Record<string, ActorRefFrom<typeof peerMachine>>;
  prefix?: string;
  lastError?: string;
}

export type EndpointEvent =
  /** A request for a connection id that has no actor yet (the runtime routes the others to theirs). */
  | {
      type: "CONNECTION.OPEN";
      id: string;
      kind: ConnectionKind;
      owner?: Owner;
      request: Connection;
      lifetimeMs: number;
    }
  /** A connection actor reached closed or failed, or broke. */
  | { type: "CONNECTION.ENDED"; id: string }
  | { type: "PEER.FOUND"; name: string; url: string; role: PeerRole }
  | { type: "PEER.LOST"; name: string }
  | { type: "PEER.LINK"; name: string; up: boolean; reason?: string }
  | { type: "PREFIX.CHANGED"; prefix: string }
  | { type: "DATAPLANE.LOST" }
  | { type: "STOP" };

export const connectionActorId = (id: string) => `connection/${id}`;
export const peerActorId = (name: string) => `peer/${name}`;

const DONE = "xstate.done.actor.";

/** The name of a peer actor's done event. */
function endedPeer(type: string): string | undefined {
  const prefix = DONE + peerActorId("");
  return type.startsWith(prefix) ? type.slice(prefix.length) : undefined;
}

/**
 * A copy of a record of children by name, with `key` set to `value` (or removed). The copy has a null
 * prototype, which keeps V8 from making a hidden class per new key.
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
    peer: peerMachine,
    /** Claims the prefix and resyncs the data plane; resolves with the prefix. */
    start: fromPromise<string, { name: string }>(async () => {
      throw new Error("start is provided by the runtime");
    }),
  },
  actions: {
    // Provided by the runtime, which holds the connection actors by id and sends CONNECTION.ENDED
    // when one ends: start one (the connection machine), send an event to every one, stop them all.
    startConnection: (_, _params: { input: ConnectionInput }) => {},
    tellConnections: (_, _params: { event: ConnectionEvent }) => {},
    stopConnections: () => {},
  },
  guards: {
    hasPeer: ({ context, event }) => "name" in event && context.peers[event.name] !== undefined,
    peerEnded: ({ event }) => endedPeer(event.type) !== undefined,
    drained: ({ context }) => context.connections === 0 && Object.keys(context.peers).length === 0,
  },
}).createMachine({
  id: "endpoint",
  // A null prototype: a name such as "constructor" names no peer until it is spawned.
  context: ({ input }) => ({ ...input, connections: 0, peers: Object.create(null) }),
  initial: "starting",
  on: {
    // Only actors it started end: the count never goes below zero.
    "CONNECTION.ENDED": {
      guard: ({ context }) => context.connections > 0,
      actions: assign({ connections: ({ context }) => context.connections - 1 }),
    },
    "*": {
      // Drops a peer actor that finished, reference and child, so long-lived endpoints keep none.
      guard: "peerEnded",
      actions: [
        assign({ peers: ({ context, event }) => withEntry(context.peers, endedPeer(event.type)!) }),
        stopChild(({ event }) => peerActorId(endedPeer(event.type)!)),
      ],
    },
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
        "CONNECTION.OPEN": {
          actions: [
            {
              type: "startConnection",
              params: ({ event }) => ({
                input: {
                  id: event.id,
                  kind: event.kind,
                  owner: event.owner,
                  request: event.request,
                  lifetimeMs: event.lifetimeMs,
                },
              }),
            },
            assign({ connections: ({ context }) => context.connections + 1 }),
          ],
        },
        "PEER.FOUND": [
          {
            guard: "hasPeer",
            actions: sendTo(
              ({ context, event }) => context.peers[event.name]!,
              ({ event }) => ({ type: "PEER_FOUND" as const, url: event.url }),
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
            { type: "tellConnections", params: { event: { type: "PREFIX_CHANGED" } } },
            enqueueActions(({ context, enqueue }) => {
              for (const ref of Object.values(context.peers)) enqueue.sendTo(ref, { type: "PREFIX_CHANGED" });
            }),
          ],
        },
        "DATAPLANE.LOST": {
          actions: [
            { type: "tellConnections", params: { event: { type: "DATAPLANE_LOST" } } },
            enqueueActions(({ context, enqueue }) => {
              for (const ref of Object.values(context.peers))
                enqueue.sendTo(ref, { type: "LINK_DOWN", reason: "data plane lost" });
            }),
          ],
        },
        STOP: "draining",
      },
    },
    /** Close every connection and peer link (withdrawing their state), then stop. */
    draining: {
      entry: [
        { type: "tellConnections", params: { event: { type: "CLOSE" } } },
        enqueueActions(({ context, enqueue }) => {
          for (const ref of Object.values(context.peers)) enqueue.sendTo(ref, { type: "PEER_GONE" });
        }),
      ],
      always: { guard: "drained", target: "stopped" },
      // Nothing new while draining (CONNECTION.OPEN is not taken); the runtime answers UNAVAILABLE.
    },
    stopped: {
      type: "final",
      entry: [
        "stopConnections",
        enqueueActions(({ context, enqueue }) => {
          for (const ref of Object.values(context.peers)) enqueue(stopChild(ref));
        }),
      ],
    },
  },
});
