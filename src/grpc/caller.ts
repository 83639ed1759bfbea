// Who is calling: the TLS peer's certificate and SPIFFE ID (from grpc-js's auth context) and the
// per-RPC token headers, as the chain's CallContext carries them. Plain text has neither certificate
// nor identity; a certificate without one SPIFFE ID is no identity either.
import { X509Certificate } from "node:crypto";
import type * as grpc from "@grpc/grpc-js";
import type { CallContext } from "../chain/types.js";
import { readTokenHeaders } from "../security/token-headers.js";
import { spiffeIdOf } from "../security/x509.js";

type AnyCall = { getAuthContext(): { sslPeerCertificate?: { raw?: Buffer } } | null };

/** The TLS peer of a call (server side: the caller; client side: the server), if it showed an SVID. */
export function tlsPeerOf(call: AnyCall): CallContext["caller"] {
  const raw = call.getAuthContext()?.sslPeerCertificate?.raw;
  if (!raw) return undefined;
  try {
    const certificate = new X509Certificate(raw);
    return { spiffeId: spiffeIdOf(certificate), certificate };
  } catch {
    return undefined;
  }
}

/** The CallContext fields of an incoming Request or Close: its TLS peer and its token headers. */
export function callerContext(
  call: AnyCall & { metadata: grpc.Metadata },
): Pick<CallContext, "caller" | "callerToken"> {
  return { caller: tlsPeerOf(call), callerToken: readTokenHeaders(call.metadata) };
}
