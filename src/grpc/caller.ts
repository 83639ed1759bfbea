// Who is calling, as the chain's CallContext carries it: the TLS peer (SPIFFE ID and leaf, through
// peer-identity.ts) and the per-RPC token headers. Plain text has neither certificate nor identity.
import type * as grpc from "@grpc/grpc-js";
import type { CallContext } from "../chain/types.js";
import { readTokenHeaders } from "../security/token-headers.js";
import { type HasAuthContext, peerIdentity } from "./peer-identity.js";

/** The TLS peer of a call (server side: the caller; client side: the server), if it showed an SVID. */
export function tlsPeerOf(call: HasAuthContext): CallContext["caller"] {
  return peerIdentity(call);
}

/**
 * The fingerprint of the certificate we showed on the connection a server call came in on. grpc-js
 * exposes only the peer's, so this reads the call's own TLS socket (under any server interceptors);
 * undefined if that is not there (plain text, or grpc-js changed shape: then the current SVID signs).
 */
export function presentedOn(call: unknown): string | undefined {
  type Layer = { call?: Layer; nextCall?: Layer; stream?: { session?: { socket?: unknown } } };
  let layer = (call as Layer)?.call;
  for (let i = 0; i < 8 && layer && !layer.stream; i++) layer = layer.nextCall;
  const socket = layer?.stream?.session?.socket as {
    getCertificate?: () => { fingerprint256?: string } | null;
  };
  return socket?.getCertificate?.()?.fingerprint256 || undefined;
}

/** The CallContext fields of an incoming Request or Close: its TLS peer, its token headers, our certificate. */
export function callerContext(
  call: HasAuthContext & { metadata: grpc.Metadata },
): Pick<CallContext, "caller" | "callerToken" | "presented"> {
  return {
    caller: tlsPeerOf(call),
    callerToken: readTokenHeaders(call.metadata),
    presented: presentedOn(call),
  };
}
