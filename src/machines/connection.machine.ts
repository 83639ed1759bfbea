// The lifecycle of one connection served by this NSE: an NSC's, or a dialling peer NSE's.
// Pure: addresses, programming and notifications are actions the runtime provides. Each effect is
// answered by an event that only the state waiting for it takes; no state can be re-entered while
// an answer is still due (the only way out of a waiting state is closing, which ignores them), so a
// late answer is never taken for a newer request's.
import { assign, setup } from "xstate";
import type { Owner } from "../chain/owner.js";
import type { Connection } from "../grpc/gen/networkservice/connection.js";

export type ConnectionKind = "client" | "peer";

/** What a caller learns about its request: answered once per generation. */
export interface Answer {
  generation: number;
  ok: boolean;
  code?: string;
  message?: string;
}

export interface ConnectionContext {
  id: string;
  kind: ConnectionKind;
  /** The client that created the connection: only it may refresh or close it. */
  owner: Owner;
  /** The latest request (path already updated), and how long it lives without a refresh. */
  request: Connection;
  lifetimeMs: number;
  /** The connection as last programmed and answered; undefined until the first success. */
  committed?: Connection;
  /** The connection being worked on (allocated, not yet programmed). */
  pending?: Connection;
  generation: number;
  answer?: Answer;
  lastError?: string;
  /** Set by a heal's answer (cleared by the next answer): its UPDATE tells the NSC to re-request
   * (state REFRESH_REQUESTED). */
  refreshRequested?: boolean;
  /** The prefix changed or the data plane was lost while a change was in flight: heal once up. */
  healDue?: boolean;
}

export interface ConnectionInput {
  id: string;
  kind: ConnectionKind;
  /** Absent: a bare client's (anonymous) connection. */
  owner?: Owner;
  request: Connection;
  lifetimeMs: number;
}

export type ConnectionEvent =
  | { type: "REQUEST"; request: Connection; lifetimeMs: number }
  | { type: "CLOSE" }
  /** The previous path segment's lifetime ran out without a refresh (the runtime's expiry timer). */
  | { type: "EXPIRED" }
  | { type: "PREFIX_CHANGED" }
  | { type: "DATAPLANE_LOST" }
  // What the runtime's effects (the allocate, program and unprogram actions) answer, once each.
  | { type: "ALLOCATED"; connection: Connection }
  | { type: "ALLOCATION_FAILED"; error: unknown }
  | { type: "PROGRAMMED" }
  | { type: "PROGRAMMING_FAILED"; error: unknown }
  | { type: "UNPROGRAMMED" }
  | { type: "UNPROGRAMMING_FAILED"; error: unknown };

/** Params of the `allocate` action: build the IP context for `request` (from IPAM). */
export interface AllocateInput {
  id: string;
  kind: ConnectionKind;
  request: Connection;
  committed?: Connection;
}

/** Params of the `program` action: make the data plane carry `connection`. */
export interface ProgramInput {
  id: string;
  kind: ConnectionKind;
  connection: Connection;
}

/** What `allocate` is given: the latest request and what is in place now. */
const allocateInput = ({ context }: { context: ConnectionContext }): AllocateInput => ({
  id: context.id,
  kind: context.kind,
  request: context.request,
  committed: context.committed,
});

const programInput = ({ context }: { context: ConnectionContext }): ProgramInput => ({
  id: context.id,
  kind: context.kind,
  connection: context.pending!,
});

/** The error a failure event carries. */
const errorOf = ({ event }: { event: ConnectionEvent }) => ({
  error: "error" in event ? event.error : event,
});

/** Errors carry a gRPC status name (INVALID_ARGUMENT, RESOURCE_EXHAUSTED...) for the answer. */
function describe(error: unknown): { code: string; message: string } {
  const e = error as { code?: string; message?: string };
  return { code: typeof e?.code === "string" ? e.code : "INTERNAL", message: e?.message ?? String(error) };
}

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
