// Who is calling, as the chain's CallContext carries it: the TLS peer (SPIFFE ID and leaf, through
// peer-identity.ts) and the per-RPC token headers. Plain text has neither certificate nor identity.
import type * as grpc from "@grpc/grpc-js";
import type { CallContext } from "../chain/types.js";
import { readTokenHeaders } from "../security/token-headers.js";
import { type HasAuthContext, peerCertificate, peerSpiffeId } from "./peer-identity.js";

/** The TLS peer of a call (server side: the caller; client side: the server), if it showed an SVID. */
export function tlsPeerOf(call: HasAuthContext): CallContext["caller"] {
  const spiffeId = peerSpiffeId(call);
  const certificate = spiffeId ? peerCertificate(call) : undefined;
  return spiffeId && certificate ? { spiffeId, certificate } : undefined;
}

/** The CallContext fields of an incoming Request or Close: its TLS peer and its token headers. */
export function callerContext(
  call: HasAuthContext & { metadata: grpc.Metadata },
): Pick<CallContext, "caller" | "callerToken"> {
  return { caller: tlsPeerOf(call), callerToken: readTokenHeaders(call.metadata) };
}
