// SPIFFE checks of a TLS peer, on top of OpenSSL's path validation against every trust bundle (the
// X509-SVID standard's Verify): the leaf has exactly one URI SAN, is no CA, its trust domain has a
// bundle, the chain is anchored in THAT domain's bundle (not merely in some federated one), and the
// authorizer accepts the ID. Host names are never looked at.
import { X509Certificate } from "node:crypto";
import type { DetailedPeerCertificate, PeerCertificate } from "node:tls";
import type { Authorizer } from "./authorizer.js";
import type { Identity } from "./identity.js";
import { parseSpiffeId } from "./spiffe-id.js";
import { spiffeIdFromSan } from "./x509.js";

/** The peer's SPIFFE ID if it passes, else why it is refused. */
export type Verdict = { ok: true; spiffeId: string } | { ok: false; reason: string };

const refuse = (reason: string): Verdict => ({ ok: false, reason });

function leafChecks(cert: PeerCertificate, identity: Identity, authorize: Authorizer): Verdict {
  let spiffeId: string;
  try {
    spiffeId = spiffeIdFromSan(cert.subjectaltname);
  } catch (e) {
    return refuse(`peer certificate: ${(e as Error).message}`);
  }
  if (cert.ca) return refuse(`peer certificate for ${spiffeId} is a CA certificate`);
  const td = parseSpiffeId(spiffeId).trustDomain;
  if (!identity.bundles.has(td)) return refuse(`no trust bundle for ${td} (peer ${spiffeId})`);
  const denied = authorize(spiffeId, identity.trustDomain);
  if (denied) return refuse(denied);
  return { ok: true, spiffeId };
}

const fingerprints = (cas: readonly X509Certificate[]) => new Set(cas.map((c) => c.fingerprint256));

/** A TLS client's check of the server's chain (checkServerIdentity receives it in full). */
export function verifyServerChain(
  cert: DetailedPeerCertificate,
  identity: Identity,
  authorize: Authorizer,
): Verdict {
  const v = leafChecks(cert, identity, authorize);
  if (!v.ok) return v;
  const anchors = fingerprints(identity.bundles.get(parseSpiffeId(v.spiffeId).trustDomain)!);
  // Walk up the chain OpenSSL built; it ends at the trust anchor, whose issuer is itself.
  let c: DetailedPeerCertificate | undefined = cert.issuerCertificate;
  for (let depth = 0; c && depth < 10; depth++) {
    if (anchors.has(c.fingerprint256)) return v;
    if (c.issuerCertificate === c) break;
    c = c.issuerCertificate;
  }
  return refuse(`${v.spiffeId} is not signed by a CA of its own trust domain's bundle`);
}

/**
 * A TLS server's check of a client's leaf (grpc-js gives the leaf only). OpenSSL has validated the
 * chain against the union of bundles; the leaf must be issued straight by a CA of its own domain,
 * unless there is only that one bundle, which then necessarily anchored it.
 */
export function verifyClientLeaf(cert: PeerCertificate, identity: Identity, authorize: Authorizer): Verdict {
  const v = leafChecks(cert, identity, authorize);
  if (!v.ok) return v;
  const td = parseSpiffeId(v.spiffeId).trustDomain;
  if (identity.bundles.size === 1) return v;
  const leaf = new X509Certificate(cert.raw);
  const cas = identity.bundles.get(td)!;
  if (cas.some((ca) => leaf.checkIssued(ca) && leaf.verify(ca.publicKey))) return v;
  return refuse(`${v.spiffeId} is not signed by a CA of its own trust domain's bundle`);
}
