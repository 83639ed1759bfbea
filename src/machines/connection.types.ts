// The connection machine's vocabulary: its context, events and input, the params of its effects,
// and the pure helpers its transitions use. Kept apart so that connection.machine.ts reads as the
// lifecycle itself, and so that the runtime can import the types without the machine.
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
export const allocateInput = ({ context }: { context: ConnectionContext }): AllocateInput => ({
  id: context.id,
  kind: context.kind,
  request: context.request,
  committed: context.committed,
});

export const programInput = ({ context }: { context: ConnectionContext }): ProgramInput => ({
  id: context.id,
  kind: context.kind,
  connection: context.pending!,
});

/** The error a failure event carries. */
export const errorOf = ({ event }: { event: ConnectionEvent }) => ({
  error: "error" in event ? event.error : event,
});

/** Errors carry a gRPC status name (INVALID_ARGUMENT, RESOURCE_EXHAUSTED...) for the answer. */
export function describe(error: unknown): { code: string; message: string } {
  const e = error as { code?: string; message?: string };
  return { code: typeof e?.code === "string" ? e.code : "INTERNAL", message: e?.message ?? String(error) };
}
