// Real SVIDs for tests: one development CA for k8s.nsm and the reference's identities (§7), each with
// the token generator NSM would run for it.
import {
  type CertificateAuthority,
  createCertificateAuthority,
  issueIdentity,
} from "../../../src/security/ca.js";
import type { Identity } from "../../../src/security/identity.js";
import { spiffeTokenGenerator, type TokenGenerator } from "../../../src/security/token.js";
import { IDS } from "./tokens.js";

export interface Svid {
  identity: Identity;
  /** The TLS peer as a server sees it on CallContext.caller. */
  caller: { spiffeId: string; certificate: Identity["leaf"] };
  generate: TokenGenerator;
}

export function svidOf(identity: Identity, now: () => number = Date.now): Svid {
  return {
    identity,
    caller: { spiffeId: identity.spiffeId, certificate: identity.leaf },
    generate: spiffeTokenGenerator({
      signer: () => identity,
      maxLifetimeMs: 600_000,
      now,
    }),
  };
}

export async function referenceSvids(ca?: CertificateAuthority) {
  const authority = ca ?? (await createCertificateAuthority({ trustDomain: "k8s.nsm" }));
  const one = async (id: string) => svidOf(await issueIdentity(authority, id, 3_600_000));
  const [C, M1, M2, E, R] = await Promise.all([IDS.C, IDS.M1, IDS.M2, IDS.E, IDS.R].map(one));
  return { ca: authority, C: C!, M1: M1!, M2: M2!, E: E!, R: R! };
}

/** The TokenPeer a generator takes for the other side. */
export const peerOf = (s: Svid) => ({ spiffeId: s.identity.spiffeId, notAfter: s.identity.notAfter });
