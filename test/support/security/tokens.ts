// Test identities (EC P-256 keys named by the reference's SPIFFE IDs) and a token maker that can also
// write what NSM never would (a string aud, no exp, a wrong key), for the policy tables.
import { createHash, generateKeyPairSync, type KeyObject } from "node:crypto";
import { SignJWT } from "jose";
import type { PolicyInput, PolicySegment } from "../../../src/security/policies.js";
import { decodeToken, type SignerKey, TokenVerifier } from "../../../src/security/token.js";

export const IDS = {
  C: "spiffe://k8s.nsm/ns/ns-a/pod/nsc-1",
  M1: "spiffe://k8s.nsm/ns/nsm-system/pod/nsmgr-1",
  M2: "spiffe://k8s.nsm/ns/nsm-system/pod/nsmgr-2",
  E: "spiffe://k8s.nsm/ns/ns-a/pod/nse-vl3-1",
  R: "spiffe://k8s.nsm/ns/nsm-system/pod/registry-k8s-1",
} as const;

export interface TestIdentity {
  spiffeId: string;
  privateKey: KeyObject;
  signer: SignerKey;
}

export function testIdentity(spiffeId: string): TestIdentity {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const id = createHash("sha256")
    .update(publicKey.export({ type: "spki", format: "der" }))
    .digest("hex");
  return { spiffeId, privateKey, signer: { id, key: publicKey } };
}

/** Signs any claims with any key, in NSM's header. */
export const signClaims = (claims: Record<string, unknown>, key: KeyObject) =>
  new SignJWT(claims).setProtectedHeader({ alg: "ES256", typ: "JWT" }).sign(key);

/** A well-formed NSM token from `from` to `to`, valid for `ttlS` seconds after `nowS`. */
export const hop = (from: TestIdentity, to: TestIdentity, nowS: number, ttlS = 600) =>
  signClaims({ sub: from.spiffeId, aud: [to.spiffeId], exp: nowS + ttlS }, from.privateKey);

/** A policy input over `tokens` as segments, with a real (cached) verifier. */
export function input(
  tokens: string[],
  o: { index?: number; nowS: number; peer?: TestIdentity; known?: TestIdentity[] },
): PolicyInput {
  const verifier = new TokenVerifier();
  const segments: PolicySegment[] = tokens.map((token, i) => ({ name: `hop-${i}`, token }));
  return {
    index: o.index ?? tokens.length - 1,
    segments,
    claims: tokens.map(decodeToken),
    peer: o.peer && { spiffeId: o.peer.spiffeId, key: o.peer.signer },
    nowMs: o.nowS * 1000,
    verify: (t, k) => verifier.verify(t, k),
    keysOf: (id) => (o.known ?? []).filter((k) => k.spiffeId === id).map((k) => k.signer),
  };
}
