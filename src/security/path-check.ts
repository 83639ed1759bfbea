// Runs a policy set over a path and the TLS peer, as NSM's authorize does on both sides: the first
// policy that denies ends the call with PERMISSION_DENIED naming it. Shared by the authorize element
// (server) and the dialling side (client policies on the path that comes back).
import type { X509Certificate } from "node:crypto";
import { RequestError } from "../chain/errors.js";
import type { KnownKeys } from "./known-keys.js";
import { firstDenial, type Policy, type PolicyInput, type PolicySegment } from "./policies.js";
import { provenSegments } from "./proof.js";
import { decodeToken, signerKeyOf, type TokenVerifier } from "./token.js";

export interface PathCheckOptions {
  policies: readonly Policy[];
  verifier: TokenVerifier;
  keys: KnownKeys;
  /** Prefix of a denial, as NSM's ("networkservice" or "registry"). */
  what?: string;
  now?: () => number;
}

/** The TLS peer of the call: the caller on a server, the server that answered on a client. */
export interface PathPeer {
  spiffeId: string;
  certificate: X509Certificate;
}

/** Throws PERMISSION_DENIED unless every policy passes; returns the hops' SPIFFE IDs (NSM's path_ids). */
export async function checkPath(
  segments: readonly PolicySegment[],
  index: number,
  peer: PathPeer | undefined,
  o: PathCheckOptions,
): Promise<string[]> {
  return (await checkPathProven(segments, index, peer, o)).ids;
}

/** As checkPath, and which of those IDs are proven (proof.ts): only those may be trusted as who sent. */
export async function checkPathProven(
  segments: readonly PolicySegment[],
  index: number,
  peer: PathPeer | undefined,
  o: PathCheckOptions,
): Promise<{ ids: string[]; proven: boolean[] }> {
  const claims = segments.map((s) => decodeToken(s.token));
  const key = peer && signerKeyOf(peer.certificate);
  // A peer's certificate passed the mTLS handshake: its key now vouches for its other tokens too.
  if (peer && key) o.keys.add(peer.spiffeId, key);
  const input: PolicyInput = {
    index,
    segments: [...segments],
    claims,
    peer: peer && key && { spiffeId: peer.spiffeId, key },
    nowMs: (o.now ?? Date.now)(),
    verify: (token, signer) => o.verifier.verify(token, signer),
    keysOf: o.keys.keysOf,
    bundles: o.keys.bundles?.(),
  };
  const denial = await firstDenial(o.policies, input);
  if (denial) {
    throw new RequestError(
      "PERMISSION_DENIED",
      `${o.what ?? "networkservice"}: authorization policy ${denial.policy} denied: ${denial.reason}`,
    );
  }
  return { ids: claims.map((c) => c?.sub ?? ""), proven: await provenSegments(input) };
}
