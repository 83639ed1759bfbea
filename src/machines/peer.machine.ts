// The lifecycle of this NSE's link to one remote vL3 NSE of the same service.
// Of each pair exactly one side dials (see src/actors/peer-rule.ts); the other accepts.
// Pure: the Request, programming, monitoring and Close are actions the runtime provides, each answered
// by an event only the waiting state takes (as in connection.machine.ts), not an actor per step; a
// state left before its answer came abandons it (exit), as XState drops a stopped invoke's output.
import { assign, setup } from "xstate";
import type { Connection } from "../grpc/gen/networkservice/connection.js";
import {
  errorOf,
  linkInput,
  message,
  type PeerContext,
  type PeerEvent,
  type PeerInput,
  type PeerRequestInput,
  requestInput,
} from "./peer.types.js";
import { backoffMs, refreshMs } from "./peer-timing.js";

export type { PeerContext, PeerEvent, PeerInput, PeerRequestInput, PeerRole } from "./peer.types.js";
export { backoffMs, refreshMs } from "./peer-timing.js";

/** A refresh of an up link that fails: the link is down (its peer did not answer in time, or is
 * gone and the monitor's DOWN fell between two watches), and the dial side heals it. */
const refreshFailed = {
  target: "#peer.healing",
  actions: [
    { type: "failed", params: errorOf },
    { type: "withdraw", params: ({ context }: { context: PeerContext }) => ({ name: context.name }) },
    {
      type: "signalDown",
      params: ({ context, event }: { context: PeerContext; event: PeerEvent }) => ({
        name: context.name,
        reason: `refresh failed: ${message(errorOf({ event }).error)}`,
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
  actions: {
    // Provided by the runtime, each answered by an event: REQUESTED or REQUEST_FAILED (the Request
    // through NSM), PROGRAMMED or PROGRAMMING_FAILED (the data plane), CLOSED or CLOSE_FAILED. `abandon`
    // (on leaving the state) drops the answer of the one in flight, and a Request still waiting its
    // turn is then never sent.
    request: (_, _params: PeerRequestInput) => {},
    program: (_, _params: { name: string; link: Connection }) => {},
    close: (_, _params: { name: string; link?: Connection }) => {},
    abandon: () => {},
    /** Provided by the runtime: watches the link (monitor stream to the peer), which sends LINK_DOWN
     * when it breaks and REFRESH_REQUESTED when the peer asks, until `unwatch`. */
    watch: (_, _params: { name: string; link: Connection }) => {},
    unwatch: () => {},
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
    recovered: assign({ attempt: 0, lastError: undefined }),
    /** A new life for the link: no old connection to refresh, no failures counted. */
    afresh: assign({ link: undefined, attempt: 0, lastError: undefined, foundAgain: false }),
    holdLink: assign(({ event }) => (event.type === "REQUESTED" ? { link: event.link } : {})),
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
      entry: { type: "request", params: requestInput },
      exit: "abandon",
      on: {
        REQUESTED: { target: "programming", actions: "holdLink" },
        REQUEST_FAILED: { target: "healing", actions: { type: "failed", params: errorOf } },
        PEER_GONE: "closing",
      },
    },
    programming: {
      entry: { type: "program", params: linkInput },
      exit: "abandon",
      on: {
        // The link is up: failures are counted afresh (the accepting side never counts any).
        PROGRAMMED: { target: "up", actions: "recovered" },
        PROGRAMMING_FAILED: { target: "healing", actions: { type: "failed", params: errorOf } },
        PEER_GONE: "closing",
      },
    },
    up: {
      entry: { type: "signalUp", params: ({ context }) => ({ name: context.name }) },
      initial: "watching",
      states: {
        /** Dial side: the link's monitor stream tells us when it breaks. */
        watching: {
          entry: { type: "watch", params: linkInput },
          exit: "unwatch",
          after: { refresh: "refreshing" },
          on: { REFRESH_REQUESTED: "refreshing" },
        },
        /** Dial side: the same link (same connection id) re-requested before it expires. */
        refreshing: {
          entry: { type: "request", params: requestInput },
          exit: "abandon",
          on: {
            REQUESTED: { target: "reprogramming", actions: "holdLink" },
            REQUEST_FAILED: refreshFailed,
          },
        },
        /** The answer may carry new routes (the peer's prefix changed); unchanged ones cost nothing. */
        reprogramming: {
          entry: { type: "program", params: linkInput },
          exit: "abandon",
          on: {
            PROGRAMMED: "watching",
            PROGRAMMING_FAILED: refreshFailed,
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
      entry: {
        type: "close",
        params: ({ context }) => ({ name: context.name, link: context.link }),
      },
      on: {
        CLOSED: [{ guard: "foundAgain", target: "starting", actions: "afresh" }, { target: "closed" }],
        CLOSE_FAILED: [
          { guard: "foundAgain", target: "starting", actions: "afresh" },
          { target: "closed", actions: assign({ lastError: ({ event }) => message(event.error) }) },
        ],
        // The registry has it again (a registry restart's gone-then-back): its watch will not say so
        // twice, so this actor must not end; it dials (or waits) afresh once the old link is closed.
        PEER_FOUND: { actions: assign({ url: ({ event }) => event.url, foundAgain: true }) },
        PEER_GONE: { actions: assign({ foundAgain: false }) },
      },
    },
    closed: { type: "final" },
  },
});
