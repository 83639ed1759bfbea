// NSM's chain of small elements: each element does one thing to a Request or Close and calls the
// next. The last element is the endpoint runtime.
import type { X509Certificate } from "node:crypto";
import type { Connection } from "../grpc/gen/networkservice/connection.js";
import type { NetworkServiceRequest } from "../grpc/gen/networkservice/networkservice.js";
import type { SignedToken } from "../security/token.js";
import type { Owner } from "./owner.js";

/** Per-call facts the elements share (deadline, who called, what the chain found out). */
export interface CallContext {
  /** Epoch ms by which the caller needs an answer; past it, a Request is rolled back. */
  deadline: number;
  /** Aborted when the caller cancels the call (its answer would reach nobody): a Request is rolled back. */
  signal?: AbortSignal;
  /**
   * Set by the gRPC server where it can tell: settles once the answer's fate is known, true when the
   * call ended with our OK status sent, false when it did not (the caller reset the call first: it
   * cancelled before the answer reached it; or the answer was an error). A Request answered but not
   * delivered is rolled back like a cancelled one.
   */
  delivered?: Promise<boolean>;
  /** Set by the peer element: the request comes from this peer NSE. */
  peerOf?: string;
  /** Set by updatepath (and updatetoken, from the caller's token expiry): how long this connection lives without a refresh. */
  lifetimeMs?: number;
  /** Set by the gRPC server: the caller's W3C trace context headers, when it sent them (see chain/trace.ts). */
  trace?: { traceparent: string; tracestate?: string };
  /** Set by the gRPC server from the TLS handshake: the immediate caller's SPIFFE ID and certificate (none on plain text). */
  caller?: { spiffeId: string; certificate: X509Certificate };
  /** Set by the gRPC server: the caller's per-RPC token headers, or why they could not be read. */
  callerToken?: SignedToken | string;
  /** Set by the gRPC server: the fingerprint of the certificate we showed on this call's connection. */
  presented?: string;
  /** Set by authorize once the path passed the policies: the hops' SPIFFE IDs (NSM's path_ids); [0] is the originator. */
  pathIds?: string[];
  /**
   * Set by authorize: the first path segment's SPIFFE ID, only when PROVEN (its token verified with a key
   * bound to that ID: src/security/proof.ts); undefined when merely claimed, or without tokens. The peer
   * element trusts nothing else as the request's originator.
   */
  origin?: string;
  /**
   * Set by authorize: who owns what this request creates: `origin` when proven (behind nsmgrs, the
   * NSC), else the caller's own (TLS-bound) SPIFFE ID. The owner element copies it into `owner`;
   * undefined without tokens.
   */
  identity?: string;
  /**
   * Set by the owner element: who calls (first path segment, plus `identity`). The endpoint lets
   * only a connection's owner refresh or close it (src/chain/owner.ts).
   */
  owner?: Owner;
}

export interface NetworkServiceHandler {
  request(request: NetworkServiceRequest, ctx: CallContext): Promise<Connection>;
  close(connection: Connection, ctx: CallContext): Promise<void>;
}

export type Element = (next: NetworkServiceHandler) => NetworkServiceHandler;

/** Builds the chain: the first element sees the call first. */
export function chain(elements: Element[], last: NetworkServiceHandler): NetworkServiceHandler {
  return elements.reduceRight<NetworkServiceHandler>((next, element) => element(next), last);
}
