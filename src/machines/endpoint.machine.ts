// The endpoint supervisor: starts one connection actor per connection id and one peer actor per
// remote vL3 NSE, tells them about prefix and data-plane changes, and drains them all on shutdown.
// Pure: the start-up work (prefix, data-plane resync) and each child's effects are provided by the
// runtime. Connection and peer actors are started, told and stopped through runtime actions and
// counted (peers: named) here, not kept as this machine's children: XState copies a machine's children
// on every spawn and stop, which made each Request cost time in proportion to the connections held
// (1,000 held: seven times slower), and each peer found or lost in proportion to the peers.
import { assign, fromPromise, setup } from "xstate";
import type { Owner } from "../chain/owner.js";
import type { Connection } from "../grpc/gen/networkservice/connection.js";
import type { ConnectionEvent, ConnectionInput, ConnectionKind } from "./connection.machine.js";
import type { PeerEvent, PeerInput, PeerRole } from "./peer.machine.js";

export interface EndpointInput {
  name: string;
  backoff: { initialMs: number; maxMs: number };
}

export interface EndpointContext extends EndpointInput {
  /** How many connection actors are running (started and not yet closed or failed). */
  connections: number;
  /** The names of the peers whose actors are running (started and not yet finished), sorted. */
  peers: string[];
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
  /** A peer actor finished (its link closed) or broke. */
  | { type: "PEER.ENDED"; name: string }
  | { type: "PREFIX.CHANGED"; prefix: string }
  | { type: "DATAPLANE.LOST" }
  | { type: "STOP" };

export const connectionActorId = (id: string) => `connection/${id}`;
export const peerActorId = (name: string) => `peer/${name}`;

/** Where `name` is, or would go, in sorted `names`. */
function indexOf(names: readonly string[], name: string): number {
  let lo = 0;
  let hi = names.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (names[mid]! < name) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const hasName = (names: readonly string[], name: string) => names[indexOf(names, name)] === name;

/** A copy of sorted `names` with `name` added or removed: an array's copy is cheap; a record's is not. */
function withName(names: readonly string[], name: string, present: boolean): string[] {
  const at = indexOf(names, name);
  const copy = names.slice();
  if (names[at] === name) {
    if (!present) copy.splice(at, 1);
  } else if (present) copy.splice(at, 0, name);
  return copy;
}

export const endpointMachine = setup({
  types: {
    context: {} as EndpointContext,
    events: {} as EndpointEvent,
    input: {} as EndpointInput,
  },
  actors: {
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
    // Provided by the runtime, which holds the peer actors by name and sends PEER.ENDED when one
    // finishes: start one (the peer machine), send an event to one or to every one, stop them all.
    startPeer: (_, _params: { input: PeerInput }) => {},
    tellPeer: (_, _params: { name: string; event: PeerEvent }) => {},
    tellPeers: (_, _params: { event: PeerEvent }) => {},
    stopPeers: () => {},
  },
  guards: {
    hasPeer: ({ context, event }) => "name" in event && hasName(context.peers, event.name),
    drained: ({ context }) => context.connections === 0 && context.peers.length === 0,
  },
}).createMachine({
  id: "endpoint",
  context: ({ input }) => ({ ...input, connections: 0, peers: [] }),
  initial: "starting",
  on: {
    // Only actors it started end: the count never goes below zero.
    "CONNECTION.ENDED": {
      guard: ({ context }) => context.connections > 0,
      actions: assign({ connections: ({ context }) => context.connections - 1 }),
    },
    // Forgets a peer actor that finished, so long-lived endpoints keep no name of it.
    "PEER.ENDED": {
      guard: "hasPeer",
      actions: assign({ peers: ({ context, event }) => withName(context.peers, event.name, false) }),
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
            actions: {
              type: "tellPeer",
              params: ({ event }) => ({ name: event.name, event: { type: "PEER_FOUND", url: event.url } }),
            },
          },
          {
            actions: [
              {
                type: "startPeer",
                params: ({ context, event }) => ({
                  input: { name: event.name, url: event.url, role: event.role, backoff: context.backoff },
                }),
              },
              assign({ peers: ({ context, event }) => withName(context.peers, event.name, true) }),
            ],
          },
        ],
        "PEER.LOST": {
          guard: "hasPeer",
          actions: {
            type: "tellPeer",
            params: ({ event }) => ({ name: event.name, event: { type: "PEER_GONE" } }),
          },
        },
        "PEER.LINK": {
          guard: "hasPeer",
          actions: {
            type: "tellPeer",
            params: ({ event }) => ({
              name: event.name,
              event: event.up
                ? ({ type: "LINK_UP" } as const)
                : ({ type: "LINK_DOWN", reason: event.reason ?? "link closed" } as const),
            }),
          },
        },
        "PREFIX.CHANGED": {
          actions: [
            assign({ prefix: ({ event }) => event.prefix }),
            { type: "tellConnections", params: { event: { type: "PREFIX_CHANGED" } } },
            { type: "tellPeers", params: { event: { type: "PREFIX_CHANGED" } } },
          ],
        },
        "DATAPLANE.LOST": {
          actions: [
            { type: "tellConnections", params: { event: { type: "DATAPLANE_LOST" } } },
            { type: "tellPeers", params: { event: { type: "LINK_DOWN", reason: "data plane lost" } } },
          ],
        },
        STOP: "draining",
      },
    },
    /** Close every connection and peer link (withdrawing their state), then stop. */
    draining: {
      entry: [
        { type: "tellConnections", params: { event: { type: "CLOSE" } } },
        { type: "tellPeers", params: { event: { type: "PEER_GONE" } } },
      ],
      always: { guard: "drained", target: "stopped" },
      // Nothing new while draining (CONNECTION.OPEN is not taken); the runtime answers UNAVAILABLE.
    },
    stopped: {
      type: "final",
      entry: ["stopConnections", "stopPeers"],
    },
  },
});
