// The lifecycle of one connection served by this NSE: an NSC's, or a dialling peer NSE's.
// Pure: addresses, programming and notifications are actions the runtime provides. Each effect is
// answered by an event that only the state waiting for it takes; no state can be re-entered while
// an answer is still due (the only way out of a waiting state is closing, which ignores them), so a
// late answer is never taken for a newer request's.
import { assign, setup } from "xstate";
import type { Connection } from "../grpc/gen/networkservice/connection.js";
import {
  type AllocateInput,
  allocateInput,
  type ConnectionContext,
  type ConnectionEvent,
  type ConnectionInput,
  type ConnectionKind,
  describe,
  errorOf,
  type ProgramInput,
  programInput,
} from "./connection.types.js";

export type {
  AllocateInput,
  Answer,
  ConnectionContext,
  ConnectionEvent,
  ConnectionInput,
  ConnectionKind,
  ProgramInput,
} from "./connection.types.js";

export const connectionMachine = setup({
  types: {
    context: {} as ConnectionContext,
    events: {} as ConnectionEvent,
    input: {} as ConnectionInput,
  },
  actions: {
    // Provided by the runtime, each answered by an event: ALLOCATED or ALLOCATION_FAILED (IPAM),
    // PROGRAMMED or PROGRAMMING_FAILED, UNPROGRAMMED or UNPROGRAMMING_FAILED (the data plane).
    allocate: (_, _params: AllocateInput) => {},
    program: (_, _params: ProgramInput) => {},
    unprogram: (_, _params: { id: string; kind: ConnectionKind }) => {},
    // Provided by the runtime: monitor events and IPAM release.
    notifyUpdate: (_, _params: { connection: Connection; refreshRequested: boolean }) => {},
    notifyDelete: (_, _params: { connection: Connection }) => {},
    releaseAddresses: (_, _params: { id: string }) => {},
    // Provided by the runtime: the expiry timer of an up connection, which sends EXPIRED.
    armExpiry: (_, _params: { ms: number }) => {},
    disarmExpiry: () => {},
    // One assign per answer (each one copies the snapshot): what is committed, the answer, and
    // whether the UPDATE that follows asks the NSC to re-request (a heal's answer does).
    answerOk: assign(({ context, event }, params?: { healed: boolean }) => ({
      // An unchanged refresh commits what it allocated; otherwise what was programmed.
      committed: event.type === "ALLOCATED" ? event.connection : (context.pending ?? context.committed),
      pending: undefined,
      answer: { generation: context.generation, ok: true },
      refreshRequested: params?.healed === true,
    })),
    answerError: assign(({ context }, params: { error: unknown }) => {
      const { code, message } = describe(params.error);
      return {
        pending: undefined,
        lastError: message,
        answer: { generation: context.generation, ok: false, code, message },
        refreshRequested: false,
      };
    }),
    holdPending: assign(({ event }) => (event.type === "ALLOCATED" ? { pending: event.connection } : {})),
    noteError: assign((_, params: { error: unknown }) => ({ lastError: describe(params.error).message })),
    acceptRequest: assign(({ context, event }) => {
      if (event.type !== "REQUEST") return {};
      return { request: event.request, lifetimeMs: event.lifetimeMs, generation: context.generation + 1 };
    }),
  },
  guards: {
    isFirstRequest: ({ context }) => context.committed === undefined,
    healDue: ({ context }) => !!context.healDue,
    unchanged: ({ context }, params: { connection: Connection }) =>
      context.committed !== undefined &&
      JSON.stringify(context.committed.context) === JSON.stringify(params.connection.context) &&
      JSON.stringify(context.committed.mechanism) === JSON.stringify(params.connection.mechanism),
  },
  delays: {
    // Before retrying a heal whose programming failed.
    healRetry: 1000,
  },
}).createMachine({
  id: "connection",
  context: ({ input }) => ({
    id: input.id,
    kind: input.kind,
    owner: input.owner ?? { name: "", id: "" },
    request: input.request,
    lifetimeMs: input.lifetimeMs,
    generation: 1,
  }),
  initial: "requesting",
  // A prefix change or data-plane loss while a change is in flight is not dropped: once up, heal.
  on: {
    PREFIX_CHANGED: { actions: assign({ healDue: true }) },
    DATAPLANE_LOST: { actions: assign({ healDue: true }) },
  },
  states: {
    requesting: {
      entry: { type: "allocate", params: allocateInput },
      on: {
        ALLOCATED: { target: "programming", actions: "holdPending" },
        ALLOCATION_FAILED: { target: "failed", actions: { type: "answerError", params: errorOf } },
        CLOSE: "closing",
      },
    },
    programming: {
      entry: { type: "program", params: programInput },
      on: {
        PROGRAMMED: { target: "up", actions: "answerOk" },
        PROGRAMMING_FAILED: [
          { guard: "isFirstRequest", target: "failed", actions: { type: "answerError", params: errorOf } },
          { target: "closing", actions: { type: "answerError", params: errorOf } },
        ],
        CLOSE: "closing",
      },
    },
    up: {
      entry: [
        {
          type: "notifyUpdate",
          params: ({ context }) => ({
            connection: context.committed!,
            refreshRequested: !!context.refreshRequested,
          }),
        },
        // The previous path segment's lifetime: without a refresh by then, the connection is closed.
        { type: "armExpiry", params: ({ context }) => ({ ms: context.lifetimeMs }) },
      ],
      exit: "disarmExpiry",
      always: { guard: "healDue", target: "healing" },
      on: {
        EXPIRED: "closing",
        REQUEST: { target: "refreshing", actions: "acceptRequest" },
        CLOSE: "closing",
        PREFIX_CHANGED: "healing",
        DATAPLANE_LOST: "healing",
      },
    },
    refreshing: {
      entry: { type: "allocate", params: allocateInput },
      on: {
        ALLOCATED: [
          {
            guard: { type: "unchanged", params: ({ event }) => ({ connection: event.connection }) },
            target: "up",
            actions: "answerOk",
          },
          { target: "programming", actions: "holdPending" },
        ],
        // A refresh that cannot be served leaves the connection as it was; the caller gets the error.
        ALLOCATION_FAILED: { target: "up", actions: { type: "answerError", params: errorOf } },
        CLOSE: "closing",
      },
    },
    healing: {
      initial: "allocating",
      entry: assign({ healDue: false }),
      // A request while healing is answered when healing is done, with the healed connection.
      on: { CLOSE: "#connection.closing", REQUEST: { actions: "acceptRequest" } },
      states: {
        allocating: {
          entry: { type: "allocate", params: allocateInput },
          on: {
            ALLOCATED: { target: "programming", actions: "holdPending" },
            ALLOCATION_FAILED: {
              target: "#connection.closing",
              actions: { type: "noteError", params: errorOf },
            },
          },
        },
        programming: {
          entry: { type: "program", params: programInput },
          on: {
            PROGRAMMED: {
              target: "#connection.up",
              // Tell the NSC to re-request: its addresses or routes changed under it.
              actions: { type: "answerOk", params: { healed: true } },
            },
            PROGRAMMING_FAILED: { target: "waiting", actions: { type: "noteError", params: errorOf } },
          },
        },
        waiting: { after: { healRetry: "allocating" } },
      },
    },
    closing: {
      entry: { type: "unprogram", params: ({ context }) => ({ id: context.id, kind: context.kind }) },
      on: {
        UNPROGRAMMED: "closed",
        UNPROGRAMMING_FAILED: { target: "closed", actions: { type: "noteError", params: errorOf } },
        CLOSE: {},
      },
    },
    closed: {
      type: "final",
      entry: [
        { type: "releaseAddresses", params: ({ context }) => ({ id: context.id }) },
        {
          type: "notifyDelete",
          params: ({ context }) => ({ connection: context.committed ?? context.request }),
        },
      ],
    },
    failed: {
      type: "final",
      entry: { type: "releaseAddresses", params: ({ context }) => ({ id: context.id }) },
    },
  },
});
