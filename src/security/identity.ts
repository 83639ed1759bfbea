// The identity this process holds (an X.509-SVID, its key and the trust bundles) and where it comes
// from. Both halves of security share it: mTLS credentials (src/grpc/transport.ts) present the current
// SVID and check peers against the bundles; path tokens (ES256 JWTs) are signed with its key.
import type { KeyObject, X509Certificate } from "node:crypto";

/** One X.509-SVID with its key and the bundles it was issued with; immutable, replaced whole on rotation. */
export interface Identity {
  /** The SVID's SPIFFE ID (the leaf's single URI SAN), canonical form, e.g. spiffe://k8s.nsm/ns/x/pod/y. */
  readonly spiffeId: string;
  /** Trust domain of `spiffeId`, e.g. "k8s.nsm". */
  readonly trustDomain: string;
  /** The chain as DER, leaf first, then intermediates (as the Workload API sends it). */
  readonly certChain: readonly Buffer[];
  /** The same chain as PEM, leaf first: what TLS presents. */
  readonly certChainPem: string;
  /** The leaf, parsed; `.publicKey` checks tokens this identity signed, `.validTo` bounds their expiry. */
  readonly leaf: X509Certificate;
  /** When the leaf expires (tokens must not outlive it). */
  readonly notAfter: Date;
  /** The private key (EC P-256 in practice): usable by node:crypto, TLS and jose for ES256. */
  readonly privateKey: KeyObject;
  /** The private key as PKCS#8 PEM, for TLS options that want text. */
  readonly privateKeyPem: string;
  /** CA certificates by trust domain name ("k8s.nsm"): our own domain's and any federated ones. */
  readonly bundles: ReadonlyMap<string, readonly X509Certificate[]>;
}

/**
 * Where the identity comes from (the Workload API client, or a fixed identity in tests). Shaped like
 * grpc-js's certificate provider: the latest value is always at hand, and listeners hear of each new
 * one, so handshakes and tokens after a rotation use the new SVID without a restart.
 */
export interface IdentitySource {
  /** The latest identity, or undefined while none has been issued yet. */
  current(): Identity | undefined;
  /** Resolves with the first identity (at once if there is one); rejects if the source is closed first. */
  ready(): Promise<Identity>;
  /** Called with every new identity after the current one; returns the unsubscribe function. */
  onRotate(listener: (identity: Identity) => void): () => void;
}

/** An identity that never rotates: for tests and tools that were handed one. */
export function fixedIdentitySource(identity: Identity): IdentitySource {
  return {
    current: () => identity,
    ready: async () => identity,
    onRotate: () => () => {},
  };
}
