// Identities for tests: a CA per trust domain and an IdentitySource whose SVID the test rotates by hand.
import { Metadata } from "@grpc/grpc-js";
import {
  type CertificateAuthority,
  createCertificateAuthority,
  issueIdentity,
} from "../../src/security/ca.js";
import type { Identity, IdentitySource } from "../../src/security/identity.js";
import { spiffeSecurity, type TransportSecurity } from "../../src/security/setup.js";
import { spiffeTokenGenerator } from "../../src/security/token.js";
import { setTokenHeaders } from "../../src/security/token-headers.js";

/** An IdentitySource the test drives: `set` issues (first) or rotates (later) the identity. */
export class ManualIdentitySource implements IdentitySource {
  private identity: Identity | undefined;
  private readonly listeners = new Set<(i: Identity) => void>();
  private waiters: ((i: Identity) => void)[] = [];

  constructor(initial?: Identity) {
    this.identity = initial;
  }

  current(): Identity | undefined {
    return this.identity;
  }

  ready(): Promise<Identity> {
    return this.identity
      ? Promise.resolve(this.identity)
      : new Promise((resolve) => this.waiters.push(resolve));
  }

  onRotate(listener: (i: Identity) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  set(identity: Identity): void {
    const first = !this.identity;
    this.identity = identity;
    if (first) for (const w of this.waiters.splice(0)) w(identity);
    else for (const l of this.listeners) l(identity);
  }
}

/** The tests' own trust domain: one CA for the run, identities minted in memory (no Workload API). */
export const TEST_TRUST_DOMAIN = "test.nsm";
let testCa: Promise<CertificateAuthority> | undefined;

export function testAuthority(): Promise<CertificateAuthority> {
  testCa ??= createCertificateAuthority({ trustDomain: TEST_TRUST_DOMAIN });
  return testCa;
}

/** SPIFFE mTLS for spiffe://test.nsm/ns/<namespace>/pod/<name> (or of `ca`'s trust domain). */
export async function testSecurity(
  name: string,
  namespace = "default",
  ca?: CertificateAuthority,
): Promise<TransportSecurity> {
  const authority = ca ?? (await testAuthority());
  const id = `spiffe://${authority.trustDomain}/ns/${namespace}/pod/${name}`;
  return spiffeSecurity(new ManualIdentitySource(await issueIdentity(authority, id, 3_600_000)), []);
}

/** The NSM token headers a client with `security`'s SVID sends to `peerId` (the server's SPIFFE ID). */
export async function tokenMetadata(security: TransportSecurity, peerId: string): Promise<Metadata> {
  const identity = await security.identity!.ready();
  const generate = spiffeTokenGenerator({
    signer: () => ({
      spiffeId: identity.spiffeId,
      privateKey: identity.privateKey,
      notAfter: identity.notAfter,
    }),
    maxLifetimeMs: 600_000,
  });
  const metadata = new Metadata();
  setTokenHeaders(metadata, await generate({ spiffeId: peerId }));
  return metadata;
}
