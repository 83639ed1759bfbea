// The peer machine's vocabulary: its context, events and input, the params of its Request, and the
// pure helpers its transitions use. Kept apart so that peer.machine.ts reads as the link's lifecycle
// itself, and so that the runtime can import the types without the machine.
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
  | { type: "PEER_FOUND"; url: string }
  // What the runtime's effects (the request, program and close actions) answer, once each.
  | { type: "REQUESTED"; link: Connection }
  | { type: "REQUEST_FAILED"; error: unknown }
  | { type: "PROGRAMMED" }
  | { type: "PROGRAMMING_FAILED"; error: unknown }
  | { type: "CLOSED" }
  | { type: "CLOSE_FAILED"; error: unknown };

export interface PeerRequestInput {
  name: string;
  url: string;
  /** The previous link, for a refresh that keeps the same connection id. */
  link?: Connection;
}

export function message(error: unknown): string {
  return (error as { message?: string })?.message ?? String(error);
}

/** The error a failure event carries. */
export const errorOf = ({ event }: { event: PeerEvent }) => ({
  error: "error" in event ? event.error : event,
});

/** What a (re-)request is given: the previous link, for a refresh that keeps the same connection id. */
export const requestInput = ({ context }: { context: PeerContext }): PeerRequestInput => ({
  name: context.name,
  url: context.url,
  link: context.link,
});

export const linkInput = ({ context }: { context: PeerContext }) => ({
  name: context.name,
  link: context.link!,
});
