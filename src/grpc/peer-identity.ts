// Who is on the other end of a call under SPIFFE mTLS: the peer's SPIFFE ID and leaf certificate, read
// from the call's TLS auth context (grpc-js getAuthContext(), server and client calls alike). Path
// tokens use the ID as `aud`/owner and the leaf's public key to check the previous segment's token.
import { X509Certificate } from "node:crypto";
import type { PeerCertificate } from "node:tls";
import { spiffeIdFromSan } from "../security/x509.js";

/** Anything with grpc-js's getAuthContext(): ServerUnaryCall, ServerWritableStream, client calls. */
export interface HasAuthContext {
  getAuthContext(): { sslPeerCertificate?: PeerCertificate } | null;
}

/** The verified peer's SPIFFE ID; undefined on plain text or when the peer has none. */
export function peerSpiffeId(call: HasAuthContext): string | undefined {
  const cert = call.getAuthContext()?.sslPeerCertificate;
  if (!cert) return undefined;
  try {
    return spiffeIdFromSan(cert.subjectaltname);
  } catch {
    return undefined;
  }
}

const parsed = new Map<string, X509Certificate>();

/** The verified peer's leaf certificate (its `.publicKey` checks what the peer signed); undefined on plain text. */
export function peerCertificate(call: HasAuthContext): X509Certificate | undefined {
  const cert = call.getAuthContext()?.sslPeerCertificate;
  return cert?.raw ? leafOf(cert) : undefined;
}

function leafOf(cert: PeerCertificate): X509Certificate {
  let x = parsed.get(cert.fingerprint256);
  if (!x) {
    // A handful of peers, each rotating hourly: a small cache, emptied when it grows.
    if (parsed.size >= 1024) parsed.clear();
    x = new X509Certificate(cert.raw);
    parsed.set(cert.fingerprint256, x);
  }
  return x;
}

/** Both at once (one read of the auth context, which copies the peer's certificate each time). */
export function peerIdentity(
  call: HasAuthContext,
): { spiffeId: string; certificate: X509Certificate } | undefined {
  const cert = call.getAuthContext()?.sslPeerCertificate;
  if (!cert?.raw) return undefined;
  let spiffeId: string;
  try {
    spiffeId = spiffeIdFromSan(cert.subjectaltname);
  } catch {
    return undefined;
  }
  return { spiffeId, certificate: leafOf(cert) };
}
