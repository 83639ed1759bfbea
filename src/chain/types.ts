// NSM's chain of small elements: each element does one thing to a Request or Close and calls the
// next. The last element is the endpoint runtime.
import type { Connection } from "../grpc/gen/networkservice/connection.js";
import type { NetworkServiceRequest } from "../grpc/gen/networkservice/networkservice.js";
import type { Owner } from "./owner.js";

/** Per-call facts the elements share (deadline, who called, what the chain found out). */
export interface CallContext {
  /** Epoch ms by which the caller needs an answer. */
  deadline: number;
  /** Set by the peer element: the request comes from this peer NSE. */
  peerOf?: string;
  /** Set by updatepath: how long this connection lives without a refresh. */
  lifetimeMs?: number;
  /**
   * The caller's verified SPIFFE ID, set by the gRPC layer from the TLS peer when mTLS is on
   * (issue 11); undefined without it. The owner element copies it into `owner`.
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
