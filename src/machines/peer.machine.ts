// The lifecycle of this NSE's link to one remote vL3 NSE of the same service.
// Of each pair exactly one side dials (see src/actors/peer-rule.ts); the other accepts.
// Pure: the Request, programming, monitoring and Close are actors the runtime provides.
import { assign, fromCallback, fromPromise, setup } from "xstate";
import type { Connection } from "../grpc/gen/networkservice/connection.js";

export type PeerRole = "dial" | "accept";

export interface PeerInput {
  name: string;
  url: string;
  role: PeerRole;
  backoff: { initialMs: number; maxMs: number };
}

export interface PeerContext extends PeerInput {
  /** Failed attempts since the link was last up. */
  attempt: number;
  /** The link as last answered (dial side). */
  link?: Connection;
  lastError?: string;
  /** Found in the registry again while its link was closing: start afresh once it is closed. */
  foundAgain?: boolean;
}

export type PeerEvent =
  | { type: "LINK_UP" }
  | { type: "LINK_DOWN"; reason: string }
  /** The peer asked (monitor UPDATE with REFRESH_REQUESTED): its side of the link changed. */
  | { type: "REFRESH_REQUESTED" }
  | { type: "PEER_GONE" }
  | { type: "PREFIX_CHANGED" }
  /** The registry lists the peer (again), at this URL. */
  | { type: "PEER_FOUND"; url: string };

export interface PeerRequestInput {
  name: string;
  url: string;
  /** The previous link, for a refresh that keeps the same connection id. */
  link?: Connection;
}

function message(error: unknown): string {
  return (error as { message?: string })?.message ?? String(error);
}

/** Without any expiry on the link's path, refresh this often anyway. */
const DEFAULT_REFRESH_MS = 60_000;

/**
 * When the dialling side re-requests its link: at a third of the shortest lifetime left on the
 * link's path (as NSM's refresh does), so that the serving side never expires a healthy link.
 */
export function refreshMs(link: Connection | undefined, now: number): number {
  const left = (link?.path?.pathSegments ?? []).flatMap((s) =>
    s.expires ? [s.expires.getTime() - now] : [],
  );
  if (left.length === 0) return DEFAULT_REFRESH_MS;
  return Math.max(10, Math.floor(Math.min(...left) / 3));
}

/** Exponential backoff without jitter; the runtime provides a jittered one. */
export function backoffMs(attempt: number, backoff: { initialMs: number; maxMs: number }): number {
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.max(0, attempt - 1));
}

/** A refresh of an up link that fails: the link is down (its peer did not answer in time, or is
 * gone and the monitor's DOWN fell between two watches), and the dial side heals it. */
const refreshFailed = {
  target: "#peer.healing",
  actions: [
    { type: "failed", params: ({ event }: { event: { error: unknown } }) => ({ error: event.error }) },
    { type: "withdraw", params: ({ context }: { context: PeerContext }) => ({ name: context.name }) },
    {
      type: "signalDown",
      params: ({ context, event }: { context: PeerContext; event: { error: unknown } }) => ({
        name: context.name,
        reason: `refresh failed: ${message(event.error)}`,
      }),
    },
  ],
} as const;

export const peerMachine = setup({
  types: {
    context: {} as PeerContext,
    events: {} as PeerEvent,
    input: {} as PeerInput,
  },
  actors: {
    requestPeer: fromPromise<Connection, PeerRequestInput>(async () => {
      throw new Error("requestPeer is provided by the runtime");
    }),
    programPeer: fromPromise<void, { name: string; link: Connection }>(async () => {
      throw new Error("programPeer is provided by the runtime");
    }),
    /** Watches the link (monitor stream to the peer); sends LINK_DOWN when it breaks. */
    monitorPeer: fromCallback<PeerEvent, { name: string; link: Connection }>(() => () => {}),
    closePeer: fromPromise<void, { name: string; link?: Connection }>(async () => {}),
  },
  actions: {
    // Provided by the runtime: peer up/down signals for metrics and Events.
    signalUp: (_, _params: { name: string }) => {},
    signalDown: (_, _params: { name: string; reason: string }) => {},
    /** Provided by the runtime: the link's routes and interface out of the data plane at once, so that
     * no traffic follows a link whose peer is gone while it heals (programming puts them back). */
    withdraw: (_, _params: { name: string }) => {},
    failed: assign(({ context }, params: { error: unknown }) => ({
      attempt: context.attempt + 1,
      lastError: message(params.error),
    })),
    /** A new life for the link: no old connection to refresh, no failures counted. */
    afresh: assign({ link: undefined, attempt: 0, lastError: undefined, foundAgain: false }),
  },
  guards: {
    dials: ({ context }) => context.role === "dial",
    foundAgain: ({ context }) => context.foundAgain === true,
  },
  delays: {
    backoff: ({ context }) => backoffMs(context.attempt, context.backoff),
    refresh: ({ context }) => refreshMs(context.link, Date.now()),
  },
}).createMachine({
  id: "peer",
  context: ({ input }) => ({ ...input, attempt: 0 }),
  initial: "starting",
  on: {
    PEER_FOUND: { actions: assign({ url: ({ event }) => event.url }) },
  },
  states: {
    starting: {
      always: [{ guard: "dials", target: "requesting" }, { target: "accepting" }],
    },
    /** Accept side: waiting for the peer to dial us. */
    accepting: {
      on: {
        LINK_UP: "up.linked",
        PEER_GONE: "closed",
      },
    },
    requesting: {
      invoke: {
        src: "requestPeer",
        input: ({ context }) => ({ name: context.name, url: context.url, link: context.link }),
        onDone: { target: "programming", actions: assign({ link: ({ event }) => event.output }) },
        onError: {
          target: "healing",
          actions: { type: "failed", params: ({ event }) => ({ error: event.error }) },
        },
      },
      on: { PEER_GONE: "closing" },
    },
    programming: {
      invoke: {
        src: "programPeer",
        input: ({ context }) => ({ name: context.name, link: context.link! }),
        onDone: "up",
        onError: {
          target: "healing",
          actions: { type: "failed", params: ({ event }) => ({ error: event.error }) },
        },
      },
      on: { PEER_GONE: "closing" },
    },
    up: {
      entry: [
        assign({ attempt: 0, lastError: undefined }),
        { type: "signalUp", params: ({ context }) => ({ name: context.name }) },
      ],
      initial: "watching",
      states: {
        /** Dial side: the link's monitor stream tells us when it breaks. */
        watching: {
          invoke: {
            src: "monitorPeer",
            input: ({ context }) => ({ name: context.name, link: context.link! }),
          },
          after: { refresh: "refreshing" },
          on: { REFRESH_REQUESTED: "refreshing" },
        },
        /** Dial side: the same link (same connection id) re-requested before it expires. */
        refreshing: {
          invoke: {
            src: "requestPeer",
            input: ({ context }) => ({ name: context.name, url: context.url, link: context.link }),
            onDone: { target: "reprogramming", actions: assign({ link: ({ event }) => event.output }) },
            onError: refreshFailed,
          },
        },
        /** The answer may carry new routes (the peer's prefix changed); unchanged ones cost nothing. */
        reprogramming: {
          invoke: {
            src: "programPeer",
            input: ({ context }) => ({ name: context.name, link: context.link! }),
            onDone: "watching",
            onError: refreshFailed,
          },
        },
        /** Accept side: the peer's connection to us is the link; its actor reports LINK_DOWN. */
        linked: {},
      },
      on: {
        LINK_DOWN: [
          {
            guard: "dials",
            target: "healing",
            actions: [
              assign(({ context, event }) => ({ attempt: context.attempt + 1, lastError: event.reason })),
              { type: "withdraw", params: ({ context }) => ({ name: context.name }) },
              {
                type: "signalDown",
                params: ({ context, event }) => ({ name: context.name, reason: event.reason }),
              },
            ],
          },
          {
            target: "accepting",
            actions: {
              type: "signalDown",
              params: ({ context, event }) => ({ name: context.name, reason: event.reason }),
            },
          },
        ],
        // Our prefix changed: re-request so that the peer routes to the new one.
        PREFIX_CHANGED: { guard: "dials", target: "requesting" },
        PEER_GONE: {
          target: "closing",
          actions: {
            type: "signalDown",
            params: ({ context }) => ({ name: context.name, reason: "unregistered" }),
          },
        },
      },
    },
    /** Dial side: wait (exponential backoff) and dial the same endpoint name again. A link that went
     * down (its monitor said so, or its refresh failed) has had its routes withdrawn. */
    healing: {
      after: { backoff: "requesting" },
      on: { PEER_GONE: "closing" },
    },
    closing: {
      invoke: {
        src: "closePeer",
        input: ({ context }) => ({ name: context.name, link: context.link }),
        onDone: [{ guard: "foundAgain", target: "starting", actions: "afresh" }, { target: "closed" }],
        onError: [
          { guard: "foundAgain", target: "starting", actions: "afresh" },
          { target: "closed", actions: assign({ lastError: ({ event }) => message(event.error) }) },
        ],
      },
      // The registry has it again (a registry restart's gone-then-back): its watch will not say so
      // twice, so this actor must not end; it dials (or waits) afresh once the old link is closed.
      on: {
        PEER_FOUND: { actions: assign({ url: ({ event }) => event.url, foundAgain: true }) },
        PEER_GONE: { actions: assign({ foundAgain: false }) },
      },
    },
    closed: { type: "final" },
  },
});
